#include "base/text_proto.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace etchsim::base {
namespace {

// Keeps the first error with its position (protobuf counts from 0).
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
    }
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

}  // namespace

absl::Status ParseTextProtoInto(const std::string& text, const std::string& source,
                                google::protobuf::Message* m) {
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, m)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": ", errors.first().empty() ? "not a valid text proto" : errors.first()));
  }
  return absl::OkStatus();
}

}  // namespace etchsim::base
