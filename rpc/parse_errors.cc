#include "rpc/parse_errors.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/interceptor.h"

namespace etchsim::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ParseErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ParseErrorInterceptor(std::string method) : method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        m->GetRecvMessage() == nullptr) {
      unparsed_ = true;
    }
    if (unparsed_ && m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        m->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL) {
      const std::string type = RequestTypeOf(method_);
      const size_t slash = method_.rfind('/');
      m->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat(slash == std::string::npos ? method_ : method_.substr(slash + 1),
                       ": the request is not a valid ",
                       type.empty() ? std::string("request") : type, " protobuf message")));
    }
    m->Proceed();
  }

 private:
  const std::string method_;
  bool unparsed_ = false;
};

// Every method's interceptor passes everything on; only one-request
// methods' ever rewrites a status.
class PassThrough final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override { m->Proceed(); }
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (info->type() == Type::UNARY || info->type() == Type::SERVER_STREAMING) {
      return new ParseErrorInterceptor(info->method() != nullptr ? info->method() : "");
    }
    return new PassThrough();
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewParseErrorInterceptorFactory() {
  return std::make_unique<Factory>();
}

std::string RequestTypeOf(const std::string& method) {
  // "/package.Service/Method" is the method's full name with '/' for '.'.
  if (method.size() < 2 || method[0] != '/') return "";
  const std::string full = absl::StrReplaceAll(method.substr(1), {{"/", "."}});
  const google::protobuf::MethodDescriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full);
  return d == nullptr ? "" : d->input_type()->full_name();
}

}  // namespace etchsim::rpc
