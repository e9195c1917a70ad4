// QR payload profiles: how the text of a tally sheet's QR code maps to an election::Sheet.
// Each election names its profile (Election::qr_profile); each profile lives in its own file
// and is listed once in profile.cc's built-in registry, so adding a country's format (e.g.
// Brazil's boletim de urna) adds a file and a line and touches no other profile.
//
// Profiles are stateless and immutable: safe to share between threads. The registry returned by
// builtin_profiles() is built once and never changes afterwards.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::qr {

class QrProfile {
 public:
  virtual ~QrProfile() = default;
  virtual std::string_view name() const = 0;
  // Parses `payload` strictly for `election`. Sets station, cards, candidates, fields and
  // qr_payload (the raw payload); leaves source, image_sha256 and submitted_* to the caller.
  // Errors are kInvalidArgument with a message naming the part of the payload that is wrong.
  virtual Result<election::Sheet> parse(std::string_view payload,
                                        const election::Election& election) const = 0;
};

class ProfileRegistry {
 public:
  // Fails with kAlreadyExists when a profile of the same name is registered.
  Status add(std::unique_ptr<QrProfile> profile);
  // kNotFound names the known profiles.
  Result<const QrProfile*> find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<QrProfile>> profiles_;
};

// Every profile shipped with tallylog.
const ProfileRegistry& builtin_profiles();

// Venezuela 2024 presidential acta: "EEMMPPCCC.TT.1.0001!<38 counts>!<null>!<4th field>".
// Grammar and rules in docs/formats/qr-profiles.md.
std::unique_ptr<QrProfile> make_ve2024_acta_profile();

}  // namespace tallylog::qr
