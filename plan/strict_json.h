// SPDX-License-Identifier: Apache-2.0
// JSON parsing for the plan loader that refuses what nlohmann would silently accept: a key given
// twice in one object (nlohmann keeps the last, so a reviewer reading the first would be misled).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace plan {

// json::parse, plus: throws PlanError("plan.mounts[2].target: duplicate key") for the first key
// repeated in any object, naming its path from the root ("plan"). Syntax errors throw nlohmann's
// parse_error as json::parse does.
nlohmann::json parse_refusing_duplicate_keys(std::string_view text);

}  // namespace plan
