#include "warden/base/shared_dir.h"

#include <cstdlib>

namespace warden {

std::string SharedDir() {
  const char* env = std::getenv("WARDEN_SHARED");
  if (env != nullptr && env[0] != '\0') return env;
  return "../shared";
}

}  // namespace warden
