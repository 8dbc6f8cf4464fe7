// Parsing and binding of Einsum equations; see einsum.h.
#include "ir/einsum.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace loom {

namespace {

struct Term {
  std::vector<int> letters_before;  // labels left of the ellipsis (all, if none)
  std::vector<int> letters_after;   // labels right of the ellipsis
  bool ellipsis = false;
  size_t letter_count() const { return letters_before.size() + letters_after.size(); }
};

int letter_label(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -1;
}

bool parse_term(std::string_view text, Term& term, std::string& error) {
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "...") {
      if (term.ellipsis) {
        error = fmt::format("term '{}' has more than one ellipsis", text);
        return false;
      }
      term.ellipsis = true;
      i += 3;
      continue;
    }
    int label = letter_label(text[i]);
    if (label < 0) {
      error =
          fmt::format("term '{}' has '{}', expected letters and at most one '...'", text, text[i]);
      return false;
    }
    (term.ellipsis ? term.letters_after : term.letters_before).push_back(label);
    ++i;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// The labels of a term with its ellipsis expanded to `ellipsis_rank` axes,
// the last of which lines up with the last of the `max_ellipsis_rank`.
std::vector<int> expand_term(const Term& t, size_t ellipsis_rank, size_t max_ellipsis_rank) {
  std::vector<int> labels = t.letters_before;
  for (size_t j = 0; j < ellipsis_rank; ++j)
    labels.push_back(kEinsumFirstEllipsisLabel +
                     static_cast<int>(max_ellipsis_rank - ellipsis_rank + j));
  labels.insert(labels.end(), t.letters_after.begin(), t.letters_after.end());
  return labels;
}

}  // namespace

std::string einsum_label_name(int label) {
  if (label < 26) return std::string(1, static_cast<char>('a' + label));
  if (label < kEinsumFirstEllipsisLabel) return std::string(1, static_cast<char>('A' + label - 26));
  return fmt::format("...{}", label - kEinsumFirstEllipsisLabel);
}

bool bind_einsum(std::string_view equation, const std::vector<Shape>& shapes, EinsumSpec& spec,
                 std::string& error) {
  std::string eq;
  for (char c : equation)
    if (c != ' ' && c != '\t') eq += c;
  const size_t arrow = eq.find("->");
  const bool explicit_output = arrow != std::string::npos;
  const std::string_view lhs = std::string_view(eq).substr(0, arrow);
  std::vector<std::string_view> term_texts = split(lhs, ',');
  if (term_texts.size() != shapes.size()) {
    error = fmt::format("equation '{}' has {} input term(s) for {} input(s)", equation,
                        term_texts.size(), shapes.size());
    return false;
  }
  std::vector<Term> terms(term_texts.size());
  size_t max_ellipsis = 0;
  std::vector<size_t> ellipsis_rank(terms.size(), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    if (!parse_term(term_texts[i], terms[i], error)) return false;
    const size_t rank = shapes[i].size();
    const size_t letters = terms[i].letter_count();
    if (terms[i].ellipsis ? letters > rank : letters != rank) {
      error = fmt::format("term '{}' names {} axes{} but input {} has rank {} (shape {})",
                          term_texts[i], letters, terms[i].ellipsis ? " besides its '...'" : "", i,
                          rank, shape_str(shapes[i]));
      return false;
    }
    ellipsis_rank[i] = terms[i].ellipsis ? rank - letters : 0;
    max_ellipsis = std::max(max_ellipsis, ellipsis_rank[i]);
  }

  spec = EinsumSpec{};
  spec.label_size.assign(kEinsumFirstEllipsisLabel + max_ellipsis, -1);
  std::map<int, int> letter_uses;
  for (size_t i = 0; i < terms.size(); ++i) {
    std::vector<int> labels = expand_term(terms[i], ellipsis_rank[i], max_ellipsis);
    for (size_t axis = 0; axis < labels.size(); ++axis) {
      const int l = labels[axis];
      const int64_t extent = shapes[i][axis];
      int64_t& size = spec.label_size[static_cast<size_t>(l)];
      // Ellipsis axes broadcast as numpy's batch dims do; letters must agree.
      const bool broadcast = l >= kEinsumFirstEllipsisLabel && (size == 1 || extent == 1);
      if (size < 0 || (broadcast && size == 1)) {
        size = extent;
      } else if (size != extent && !broadcast) {
        error = fmt::format("label '{}' is {} on axis {} of input {} (shape {}) but {} elsewhere",
                            einsum_label_name(l), extent, axis, i, shape_str(shapes[i]), size);
        return false;
      }
      if (l < kEinsumFirstEllipsisLabel) ++letter_uses[l];
    }
    spec.operands.push_back(std::move(labels));
  }

  if (explicit_output) {
    Term out;
    if (!parse_term(std::string_view(eq).substr(arrow + 2), out, error)) return false;
    if (out.ellipsis && max_ellipsis == 0 &&
        std::none_of(terms.begin(), terms.end(), [](const Term& t) { return t.ellipsis; })) {
      error = fmt::format("the output of '{}' has '...' but no input does", equation);
      return false;
    }
    spec.output = expand_term(out, out.ellipsis ? max_ellipsis : 0, max_ellipsis);
    std::vector<bool> seen(spec.label_size.size(), false);
    for (int l : spec.output) {
      if (l < kEinsumFirstEllipsisLabel && !letter_uses.count(l)) {
        error = fmt::format("output label '{}' of '{}' appears in no input", einsum_label_name(l),
                            equation);
        return false;
      }
      if (seen[static_cast<size_t>(l)]) {
        error =
            fmt::format("output label '{}' of '{}' appears twice", einsum_label_name(l), equation);
        return false;
      }
      seen[static_cast<size_t>(l)] = true;
    }
  } else {
    // Implicit output: the ellipsis axes, then the letters used once, in
    // alphabetical (ASCII: upper case first) order.
    for (size_t j = 0; j < max_ellipsis; ++j)
      spec.output.push_back(kEinsumFirstEllipsisLabel + static_cast<int>(j));
    std::vector<int> once;
    for (const auto& [l, n] : letter_uses)
      if (n == 1) once.push_back(l);
    std::sort(once.begin(), once.end(),
              [](int a, int b) { return einsum_label_name(a) < einsum_label_name(b); });
    spec.output.insert(spec.output.end(), once.begin(), once.end());
  }
  return true;
}

Shape einsum_output_shape(const EinsumSpec& spec) {
  Shape out;
  for (int l : spec.output)
    out.push_back(spec.label_size[static_cast<size_t>(l)]);
  return out;
}

}  // namespace loom
