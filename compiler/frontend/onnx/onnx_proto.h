// The one place that includes the generated ONNX protobuf classes. The ONNX
// CMake targets define ONNX_ML and ONNX_NAMESPACE for their consumers; tests
// and tools that build ModelProtos may not link those targets directly, so the
// same definitions are supplied here to keep every includer on the same
// (ONNX-ML) set of classes.
#pragma once

#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif

#include <onnx/onnx_pb.h>
