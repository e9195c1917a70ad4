#include "tallylog/qr/profile.h"

namespace tallylog::qr {

Status ProfileRegistry::add(std::unique_ptr<QrProfile> profile) {
  if (!profile) return err(ErrorCode::kInvalidArgument, "null QR profile");
  if (find(profile->name())) {
    return err(ErrorCode::kAlreadyExists,
               "QR profile '" + std::string(profile->name()) + "' is already registered");
  }
  profiles_.push_back(std::move(profile));
  return ok();
}

Result<const QrProfile*> ProfileRegistry::find(std::string_view name) const {
  for (const auto& p : profiles_)
    if (p->name() == name) return p.get();
  std::string known;
  for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
  return err(ErrorCode::kNotFound,
             "unknown QR profile '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<std::string> ProfileRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& p : profiles_) out.emplace_back(p->name());
  return out;
}

const ProfileRegistry& builtin_profiles() {
  static const ProfileRegistry* registry = [] {
    auto* r = new ProfileRegistry;
    // One line per shipped profile.
    (void)r->add(make_ve2024_acta_profile());
    return r;
  }();
  return *registry;
}

}  // namespace tallylog::qr
