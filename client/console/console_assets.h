// The console's page, styles and scripts (client/console/web/), embedded
// in hotline-node at build time: the console works with no network and no
// files beside the binary.
#ifndef HOTLINE_CLIENT_CONSOLE_CONSOLE_ASSETS_H_
#define HOTLINE_CLIENT_CONSOLE_CONSOLE_ASSETS_H_

#include <string_view>

namespace hotline::console {

struct Asset {
  std::string_view path;          // "/index.html", "/js/app.js"
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `path`, or null.
const Asset* FindAsset(std::string_view path);

}  // namespace hotline::console

#endif  // HOTLINE_CLIENT_CONSOLE_CONSOLE_ASSETS_H_
