// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the strict plan loader must reject or accept any bytes without crashing,
// and whatever it accepts must survive a save/load round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plan/plan_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    plan::Plan p = plan::from_json(text);
    if (!(plan::from_json(plan::to_json(p)) == p)) std::abort();
  } catch (const plan::PlanError&) {
  }
  return 0;
}
