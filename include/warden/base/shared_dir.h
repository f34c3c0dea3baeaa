// Where the shared models, tokenizer vectors and datasets live (read in place, never copied into
// the repository): see ../shared/README.md.
#pragma once

#include <string>

namespace warden {

// The environment variable WARDEN_SHARED when it is set and non-empty, else "../shared"
// (relative to the working directory: the checkout's root in the documented layout).
// Does not check that the directory exists; readers report the missing file by path.
std::string SharedDir();

}  // namespace warden
