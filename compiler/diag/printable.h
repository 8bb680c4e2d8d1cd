// SPDX-License-Identifier: Apache-2.0
// Text from a policy, a JSON profile or a file name is untrusted: an ESC sequence in a comment
// could rewrite the user's terminal when a diagnostic quotes that line. Everything policyc
// prints about its inputs goes through printable() first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace policyc {

// `text` with every byte or character a terminal could act on written as an escape:
// ASCII controls as \n \r \t \e or \xNN, DEL as \x7f, C1 controls (U+0080..U+009F, which some
// terminals read as CSI) and bidirectional overrides (U+202A..U+202E, U+2066..U+2069,
// U+200E/F, U+061C: text that reads differently than it runs) as \u{NNNN}, bytes that are not
// UTF-8 as \xNN. Printable UTF-8 passes unchanged. With `keep_tabs`, a tab stays a tab (the
// quoted source line keeps its alignment with the caret line).
std::string printable(std::string_view text, bool keep_tabs = false);

// A source line cut into its characters as printed: pieces[i] is what character i+1 of the
// line (1-based columns count Unicode characters, as the lexer does) looks like on the terminal.
std::vector<std::string> printable_characters(std::string_view line);

}  // namespace policyc
