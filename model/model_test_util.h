// Test helper shared by the model/ tests.
#ifndef ETCHSIM_MODEL_MODEL_TEST_UTIL_H_
#define ETCHSIM_MODEL_MODEL_TEST_UTIL_H_

#include <string>

#include "gtest/gtest.h"
#include "model/zoo.h"

namespace etchsim::model {

// A bundled model (or config path), failing the test when it does not load.
inline ModelSpec Load(const std::string& name) {
  auto m = LoadModel(name);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : ModelSpec{};
}

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_MODEL_TEST_UTIL_H_
