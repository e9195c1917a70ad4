#include "tallylog/log/http_files.h"

#include "tallylog/net/http_client.h"

namespace tallylog::log {
namespace {

class HttpLogFiles final : public LogFiles {
 public:
  HttpLogFiles(std::unique_ptr<net::HttpClient> client, net::Url url) : client_(std::move(client)), url_(std::move(url)) {}

  Result<std::string> read(const std::string& rel) override {
    std::string target = url_.path + "/" + rel;
    TL_ASSIGN_OR_RETURN(net::HttpResponse r, client_->get(target));
    std::string where = url_.origin() + target;
    if (r.status == 404 || r.status == 410) return err(ErrorCode::kNotFound, "no such file " + where + " (HTTP " + std::to_string(r.status) + ")");
    if (r.status != 200) return err(ErrorCode::kUnavailable, "GET " + where + ": HTTP " + std::to_string(r.status));
    return std::move(r.body);
  }
  std::optional<std::vector<std::string>> list(const std::string&) override { return std::nullopt; }

 private:
  std::unique_ptr<net::HttpClient> client_;
  net::Url url_;
};

}  // namespace

Result<std::unique_ptr<LogFiles>> http_log_files(const std::string& url, const HttpFilesOptions& options) {
  TL_ASSIGN_OR_RETURN(net::Url u, net::parse_url(url));
  net::HttpClientOptions o;
  o.ca_file = options.ca_file;
  o.user_agent = "tallylog-verify";
  TL_ASSIGN_OR_RETURN(auto client, net::HttpClient::create(u, o));
  return std::unique_ptr<LogFiles>(new HttpLogFiles(std::move(client), std::move(u)));
}

}  // namespace tallylog::log
