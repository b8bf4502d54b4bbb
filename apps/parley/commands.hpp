#pragma once

#include <string>
#include <vector>

namespace parley::app {

/// Each sub-command takes the arguments after its name and returns the exit code.
int serve(const std::vector<std::string>& args);
int migrate(const std::vector<std::string>& args);
int token(const std::vector<std::string>& args);

}  // namespace parley::app
