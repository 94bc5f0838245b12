// JsonQuote: a string as a JSON string literal, for the --json outputs (dkv status,
// dkv-supervisor status). Control characters become \uXXXX; other bytes pass through unchanged.
// JsonStrings: a JSON array of such literals.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dkv {

std::string JsonQuote(std::string_view text);
std::string JsonStrings(const std::vector<std::string>& items);

}  // namespace dkv
