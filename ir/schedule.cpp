// Printing and JSON (de)serialization of schedule values (ir/schedule.h).
#include "ir/schedule.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"
#include "ir/json.h"

namespace loom {

FuncSchedule* GroupSchedule::find(const std::string& func) {
  for (FuncSchedule& f : funcs)
    if (f.func == func) return &f;
  return nullptr;
}
const FuncSchedule* GroupSchedule::find(const std::string& func) const {
  for (const FuncSchedule& f : funcs)
    if (f.func == func) return &f;
  return nullptr;
}

namespace {

constexpr const char* kDirectiveNames[] = {"split",    "reorder", "vectorize",
                                           "parallel", "unroll",  "fuse"};
constexpr const char* kTailNames[] = {"auto", "guard_with_if", "shift_inwards", "round_up"};
constexpr const char* kLevelNames[] = {"inline", "root", "at"};

std::string level_str(const LoopLevel& l) {
  switch (l.kind) {
    case LoopLevel::Kind::Inline:
      return "inline";
    case LoopLevel::Kind::Root:
      return "root";
    case LoopLevel::Kind::At:
      return fmt::format("at({}, {})", l.func, l.var);
  }
  return "?";
}

Json level_json(const LoopLevel& l) {
  Json j = Json::object();
  j.set("kind", kLevelNames[static_cast<int>(l.kind)]);
  if (l.kind == LoopLevel::Kind::At) {
    j.set("func", l.func);
    j.set("var", l.var);
  }
  return j;
}

Json strings_json(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const std::string& s : v)
    a.push_back(s);
  return a;
}

// Field access with errors that name the group and the field's path.
class Reader {
 public:
  explicit Reader(std::string group) : group_(std::move(group)) {}
  void set_group(std::string g) { group_ = std::move(g); }

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw ParseError(fmt::format("schedule of group '{}': field {}: {}", group_, path, what));
  }
  const Json& member(const Json& obj, const std::string& key, const std::string& path) const {
    if (!obj.is_object()) fail(path, "expected an object");
    const Json* v = obj.find(key);
    if (!v) fail(path + "." + key, "missing");
    return *v;
  }
  std::string string(const Json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "expected a string");
    return v.as_string();
  }
  std::string opt_string(const Json& obj, const std::string& key, const std::string& path) const {
    const Json* v = obj.find(key);
    return v ? string(*v, path + "." + key) : std::string();
  }
  int64_t integer(const Json& v, const std::string& path, int64_t lo, int64_t hi) const {
    if (!v.is_number() || v.as_number() != std::floor(v.as_number()))
      fail(path, "expected an integer");
    double d = v.as_number();
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
      fail(path, fmt::format("value {} out of range [{}, {}]", d, lo, hi));
    return static_cast<int64_t>(d);
  }
  std::vector<std::string> strings(const Json& v, const std::string& path) const {
    if (!v.is_array()) fail(path, "expected an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < v.items().size(); ++i)
      out.push_back(string(v.items()[i], fmt::format("{}[{}]", path, i)));
    return out;
  }
  template <size_t N>
  int name_index(const Json& v, const std::string& path, const char* const (&names)[N]) const {
    std::string s = string(v, path);
    for (size_t i = 0; i < N; ++i)
      if (s == names[i]) return static_cast<int>(i);
    fail(path, fmt::format("unknown value '{}', expected one of {}", s,
                           fmt::join(std::vector<std::string>(names, names + N), ", ")));
  }
  LoopLevel level(const Json& v, const std::string& path) const {
    LoopLevel l;
    l.kind = static_cast<LoopLevel::Kind>(
        name_index(member(v, "kind", path), path + ".kind", kLevelNames));
    if (l.kind == LoopLevel::Kind::At) {
      l.func = string(member(v, "func", path), path + ".func");
      l.var = string(member(v, "var", path), path + ".var");
    }
    return l;
  }

 private:
  std::string group_;
};

size_t expected_var_count(LoopDirective::Kind k) {
  switch (k) {
    case LoopDirective::Kind::Split:
    case LoopDirective::Kind::Fuse:
      return 3;
    case LoopDirective::Kind::Reorder:
      return 0;  // any number >= 2
    default:
      return 1;
  }
}

}  // namespace

std::string to_string(const GroupSchedule& s) {
  std::string out =
      fmt::format("schedule of group '{}' (by {}, target {})\n", s.group,
                  s.producer.empty() ? "?" : s.producer, s.target.empty() ? "?" : s.target);
  if (!s.autoscheduler.empty()) {
    out += fmt::format("  autoscheduler {}\n", s.autoscheduler);
    std::istringstream lines(s.autoscheduler_source);
    for (std::string line; std::getline(lines, line);)
      out += "    " + line + "\n";
  }
  for (const FuncSchedule& f : s.funcs) {
    out += fmt::format("  {}: compute {}", f.func, level_str(f.compute));
    if (f.store.kind != LoopLevel::Kind::Inline)
      out += fmt::format(", store {}", level_str(f.store));
    if (!f.storage_order.empty())
      out += fmt::format(", storage [{}]", fmt::join(f.storage_order, ", "));
    out += "\n";
    for (const StageSchedule& st : f.stages) {
      for (const LoopDirective& d : st.directives) {
        std::string stage =
            st.update < 0 ? f.func : fmt::format("{}.update({})", f.func, st.update);
        std::string args = fmt::format("{}", fmt::join(d.vars, ", "));
        if (d.factor) args += fmt::format(", {}", d.factor);
        if (d.tail != TailStrategy::Auto)
          args += fmt::format(", {}", kTailNames[static_cast<int>(d.tail)]);
        out +=
            fmt::format("    {}.{}({})\n", stage, kDirectiveNames[static_cast<int>(d.kind)], args);
      }
    }
  }
  return out;
}

Json schedule_to_json(const GroupSchedule& s) {
  Json j = Json::object();
  j.set("group", s.group);
  j.set("producer", s.producer);
  j.set("target", s.target);
  if (!s.autoscheduler.empty()) {
    j.set("autoscheduler", s.autoscheduler);
    j.set("autoscheduler_source", s.autoscheduler_source);
  }
  Json funcs = Json::array();
  for (const FuncSchedule& f : s.funcs) {
    Json fj = Json::object();
    fj.set("func", f.func);
    fj.set("compute", level_json(f.compute));
    if (f.store.kind != LoopLevel::Kind::Inline) fj.set("store", level_json(f.store));
    if (!f.storage_order.empty()) fj.set("storage_order", strings_json(f.storage_order));
    Json stages = Json::array();
    for (const StageSchedule& st : f.stages) {
      Json sj = Json::object();
      sj.set("update", st.update);
      Json ds = Json::array();
      for (const LoopDirective& d : st.directives) {
        Json dj = Json::object();
        dj.set("op", kDirectiveNames[static_cast<int>(d.kind)]);
        dj.set("vars", strings_json(d.vars));
        if (d.factor) dj.set("factor", d.factor);
        if (d.tail != TailStrategy::Auto) dj.set("tail", kTailNames[static_cast<int>(d.tail)]);
        ds.push_back(std::move(dj));
      }
      sj.set("directives", std::move(ds));
      stages.push_back(std::move(sj));
    }
    fj.set("stages", std::move(stages));
    funcs.push_back(std::move(fj));
  }
  j.set("funcs", std::move(funcs));
  return j;
}

GroupSchedule schedule_from_json(const Json& j) {
  Reader r("?");
  if (!j.is_object()) r.fail("(top)", "expected an object");
  GroupSchedule s;
  s.group = r.string(r.member(j, "group", "(top)"), "group");
  r.set_group(s.group);
  s.producer = r.opt_string(j, "producer", "");
  s.target = r.opt_string(j, "target", "");
  s.autoscheduler = r.opt_string(j, "autoscheduler", "");
  s.autoscheduler_source = r.opt_string(j, "autoscheduler_source", "");
  const Json& funcs = r.member(j, "funcs", "(top)");
  if (!funcs.is_array()) r.fail("funcs", "expected an array");
  for (size_t i = 0; i < funcs.items().size(); ++i) {
    const Json& fj = funcs.items()[i];
    std::string fp = fmt::format("funcs[{}]", i);
    FuncSchedule f;
    f.func = r.string(r.member(fj, "func", fp), fp + ".func");
    fp = fmt::format("funcs[{}] ({})", i, f.func);
    f.compute = r.level(r.member(fj, "compute", fp), fp + ".compute");
    if (const Json* st = fj.find("store")) f.store = r.level(*st, fp + ".store");
    if (const Json* so = fj.find("storage_order"))
      f.storage_order = r.strings(*so, fp + ".storage_order");
    const Json& stages = r.member(fj, "stages", fp);
    if (!stages.is_array()) r.fail(fp + ".stages", "expected an array");
    for (size_t k = 0; k < stages.items().size(); ++k) {
      const Json& sj = stages.items()[k];
      std::string sp = fmt::format("{}.stages[{}]", fp, k);
      StageSchedule st;
      st.update = static_cast<int>(r.integer(r.member(sj, "update", sp), sp + ".update", -1, 1000));
      const Json& ds = r.member(sj, "directives", sp);
      if (!ds.is_array()) r.fail(sp + ".directives", "expected an array");
      for (size_t n = 0; n < ds.items().size(); ++n) {
        const Json& dj = ds.items()[n];
        std::string dp = fmt::format("{}.directives[{}]", sp, n);
        LoopDirective d;
        d.kind = static_cast<LoopDirective::Kind>(
            r.name_index(r.member(dj, "op", dp), dp + ".op", kDirectiveNames));
        d.vars = r.strings(r.member(dj, "vars", dp), dp + ".vars");
        const size_t want = expected_var_count(d.kind);
        if (want ? d.vars.size() != want : d.vars.size() < 2)
          r.fail(dp + ".vars", fmt::format("has {} names, expected {}", d.vars.size(),
                                           want ? std::to_string(want) : "at least 2"));
        if (const Json* f2 = dj.find("factor"))
          d.factor = r.integer(*f2, dp + ".factor", 0, int64_t{1} << 30);
        if (d.kind == LoopDirective::Kind::Split && d.factor < 1)
          r.fail(dp + ".factor", "a split needs a positive factor");
        if (const Json* t = dj.find("tail"))
          d.tail = static_cast<TailStrategy>(r.name_index(*t, dp + ".tail", kTailNames));
        st.directives.push_back(std::move(d));
      }
      f.stages.push_back(std::move(st));
    }
    s.funcs.push_back(std::move(f));
  }
  return s;
}

std::string save_schedule_json(const GroupSchedule& s) {
  return schedule_to_json(s).dump();
}

GroupSchedule load_schedule_json(const std::string& text) {
  return schedule_from_json(Json::parse(text));
}

std::string save_model_schedule_json(const ModelSchedule& s) {
  Json j = Json::object();
  j.set("format", "loom-schedule-1");
  Json groups = Json::array();
  for (const auto& [name, g] : s)
    groups.push_back(schedule_to_json(g));
  j.set("groups", std::move(groups));
  return j.dump();
}

ModelSchedule load_model_schedule_json(const std::string& text) {
  Json j = Json::parse(text);
  const Json* groups = j.is_object() ? j.find("groups") : nullptr;
  if (!groups || !groups->is_array())
    throw ParseError("model schedule: field groups: missing or not an array");
  ModelSchedule out;
  for (const Json& g : groups->items()) {
    GroupSchedule s = schedule_from_json(g);
    if (out.count(s.group))
      throw ParseError(fmt::format("model schedule: group '{}' appears twice", s.group));
    out.emplace(s.group, std::move(s));
  }
  return out;
}

void save_model_schedule_file(const ModelSchedule& s, const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw IOError(fmt::format("cannot open schedule file '{}' for writing", path));
  f << save_model_schedule_json(s);
  if (!f) throw IOError(fmt::format("cannot write schedule file '{}'", path));
}

ModelSchedule load_model_schedule_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError(fmt::format("cannot open schedule file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return load_model_schedule_json(ss.str());
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{}: {}", path, e.detail()));
  }
}

}  // namespace loom
