// JsonQuote: a string as a JSON string literal, for the --json outputs (dkv status,
// dkv-supervisor status). Control characters become \uXXXX; other bytes pass through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace dkv {

std::string JsonQuote(std::string_view text);

}  // namespace dkv
