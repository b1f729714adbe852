// Helpers shared by the unit tests: JSON vector files and temporary folders.
#ifndef HOTLINE_TESTS_UNIT_TEST_UTIL_H_
#define HOTLINE_TESTS_UNIT_TEST_UTIL_H_

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hotline/bytes.h"

namespace hotline {
// The fixed "now" of certificate and trust tests, in Unix seconds (2027-01-15).
inline constexpr int64_t kNow = 1'800'000'000;
}  // namespace hotline

namespace hotline::testing {

inline std::string ReadFileOrDie(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline google::protobuf::Value LoadJson(const std::filesystem::path& path) {
  google::protobuf::Value value;
  auto status = google::protobuf::util::JsonStringToMessage(ReadFileOrDie(path), &value);
  if (!status.ok()) throw std::runtime_error("bad JSON in " + path.string());
  return value;
}

inline const google::protobuf::Value* Field(const google::protobuf::Value& obj,
                                            const std::string& name) {
  const auto& fields = obj.struct_value().fields();
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

inline std::string StringField(const google::protobuf::Value& obj, const std::string& name) {
  const auto* v = Field(obj, name);
  return v ? v->string_value() : std::string();
}

inline Bytes HexField(const google::protobuf::Value& obj, const std::string& name) {
  auto bytes = FromHex(StringField(obj, name));
  if (!bytes.ok()) throw std::runtime_error("bad hex in field " + name);
  return *bytes;
}

inline std::filesystem::path VectorsDir() { return HOTLINE_VECTORS_DIR; }

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hotline-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    if (std::getenv("HOTLINE_KEEP_TEMP")) return;  // for post-mortems of benchmarks
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hotline::testing

#endif  // HOTLINE_TESTS_UNIT_TEST_UTIL_H_
