// SplitArgs: splits one line into arguments by Redis's quoting rules (sdssplitargs in Redis's
// sds.c), shared by the RESP front end (inline commands such as `PING` typed into telnet) and the
// dkv shell, so both read a line the way redis-server and redis-cli do.
//
// Rules: arguments are separated by blanks (space, \t, \r, \n, \v, \f before an argument; space,
// \t, \r, \n end an unquoted one). "double quotes" take the escapes \n \r \t \b \a, \xHH (two hex
// digits) and \<any> for that character; 'single quotes' take only \' . A quote may start inside
// an argument (a"b c" is `ab c`), but a closing quote must be followed by a blank or the end of
// the line. A NUL byte ends the line, as in Redis. Pure function, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkv {

// The arguments of `line` (empty for a blank line), or nullopt when a quote is unbalanced or a
// closing quote is followed by something other than a blank.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

}  // namespace dkv
