#include "sweep/flatten.h"

#include "absl/strings/str_cat.h"
#include "base/proto_json.h"

namespace etchsim::sweep {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

void FlattenNames(const Descriptor& d, const std::string& prefix, const std::set<std::string>& skip,
                  std::vector<std::string>* names) {
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor* f = d.field(i);
    if (f->is_repeated() || skip.contains(f->name())) continue;
    const std::string name = absl::StrCat(prefix, base::JsonKey(*f));
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      FlattenNames(*f->message_type(), name + ".", {}, names);
    } else {
      names->push_back(name);
    }
  }
}

void FlattenValues(const Message& m, const std::set<std::string>& skip,
                   std::vector<v1::SweepCell>* cells) {
  const Descriptor& d = *m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor* f = d.field(i);
    if (f->is_repeated() || skip.contains(f->name())) continue;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      FlattenValues(r->GetMessage(m, f), {}, cells);
      continue;
    }
    v1::SweepCell c;
    if (!f->has_presence() || r->HasField(m, f)) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          c.set_integer(r->GetInt32(m, f));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          c.set_integer(r->GetInt64(m, f));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          c.set_integer(r->GetUInt32(m, f));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          c.set_integer(static_cast<int64_t>(r->GetUInt64(m, f)));
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          c.set_number(r->GetDouble(m, f));
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          c.set_number(r->GetFloat(m, f));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          c.set_flag(r->GetBool(m, f));
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          c.set_text(r->GetString(m, f));
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          c.set_text(r->GetEnum(m, f)->name());
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          break;
      }
    }
    cells->push_back(std::move(c));
  }
}

}  // namespace etchsim::sweep
