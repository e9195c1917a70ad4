// Signed submissions through the ingestor (issue 14): what is refused, with which reason, and
// that nothing refused reaches the log; enrolments replayed from the log at open.
#include <gtest/gtest.h>

#include "tallylog/base/bytes.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/device.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/ingest/ingestor.h"

namespace tallylog::ingest {
namespace {

class DeviceIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    election_ = election::testing::small_election();
    election_.organisations = {{"mud", "Unidad", org_.verifier_key(), {"witness:mud"}}};
    election_.require_device_signature = {"witness:*"};
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(Ingestor::init(data_, election_, ""));
    open();
    election::Station st[2] = {election::testing::small_station("R1.01"), election::testing::small_station("R1.02")};
    ASSERT_TRUE(ing_->add_stations(st));
  }
  void open() {
    ing_.reset();
    ing_ = Ingestor::open(data_).value();
  }
  election::DeviceRecord enrolment(const note::Signer& device, std::vector<std::string> sources = {"witness:mud"}) {
    election::DeviceRecord r;
    r.action = "enrol";
    r.device_key = device.verifier_key();
    r.org = "mud";
    r.sources = std::move(sources);
    r.org_signature = base64_encode(*org_.sign(election::device_record_message(r)));
    return r;
  }
  election::DeviceRecord revocation(const note::Signer& device) {
    election::DeviceRecord r;
    r.action = "revoke";
    r.device_key = device.verifier_key();
    r.org = "mud";
    r.reason = "phone lost";
    r.org_signature = base64_encode(*org_.sign(election::device_record_message(r)));
    return r;
  }
  // A sheet as it is logged (candidates filled from cards), signed by `device`.
  election::Sheet signed_sheet(const note::Signer& device, const std::string& station = "R1.01",
                               const std::string& source = "witness:mud") {
    election::Sheet s = election::testing::small_sheet(station);
    s.source = source;
    s.candidates = {{"A", 15}, {"B", 20}};
    EXPECT_TRUE(election::sign_sheet(s, device));
    return s;
  }
  uint64_t log_size() { return ing_->index().indexed_size().value(); }
  void expect_rejected(election::Sheet s, const std::string& field, const std::string& reason_part) {
    const uint64_t before = log_size();
    Outcome o = ing_->submit(std::move(s)).value();
    EXPECT_EQ(o.verdict, Verdict::kRejected);
    EXPECT_EQ(o.field, field);
    EXPECT_NE(o.reason.find(reason_part), std::string::npos) << o.reason;
    EXPECT_EQ(log_size(), before) << "a refused sheet must not be logged";
  }

  note::Signer org_ = note::Signer::generate("mud").value();
  note::Signer phone_ = note::Signer::generate("phone-1").value();
  note::Signer phone2_ = note::Signer::generate("phone-2").value();
  testing::TempDir dir_;
  std::string data_;
  election::Election election_;
  std::unique_ptr<Ingestor> ing_;
};

TEST_F(DeviceIngestTest, SignedSheetOfAnEnrolledDeviceIsLoggedWithItsSignature) {
  const uint64_t at = ing_->add_device_record(enrolment(phone_)).value();
  Outcome o = ing_->submit(signed_sheet(phone_)).value();
  ASSERT_EQ(o.verdict, Verdict::kAccepted) << o.field << ": " << o.reason;
  EXPECT_GT(*o.log_index, at);
  ASSERT_TRUE(ing_->log().await_checkpoint(*o.log_index + 1));
  auto entry = election::decode_entry(ing_->log().entry(*o.log_index).value()).value();
  const auto& logged = std::get<election::Sheet>(entry.record);
  EXPECT_EQ(logged.device_key, phone_.verifier_key());
  EXPECT_FALSE(logged.device_signature.empty());
  EXPECT_FALSE(ing_->devices().check_sheet(election_, logged));
}

TEST_F(DeviceIngestTest, RefusesUnsignedForgedUnknownWrongSourceAndRevoked) {
  ASSERT_TRUE(ing_->add_device_record(enrolment(phone_)));
  // Unsigned, for a source that requires a signature (a valid bearer token is not enough).
  election::Sheet unsigned_sheet = election::testing::small_sheet();
  unsigned_sheet.source = "witness:mud";
  expect_rejected(unsigned_sheet, "device_signature", "requires a device signature");
  // Forged: the counts changed after signing (e.g. by a server operator).
  election::Sheet forged = signed_sheet(phone_);
  forged.cards[2] = 30;
  forged.candidates["B"] = 30;
  forged.fields["valid"] = 45;
  expect_rejected(forged, "device_signature", "does not verify");
  // A key that was never enrolled.
  expect_rejected(signed_sheet(phone2_), "device_key", "not enrolled");
  // A source the device is not enrolled for.
  expect_rejected(signed_sheet(phone_, "R1.01", "witness:other"), "source", "not enrolled for source");
  // Revoked: later submissions are refused; the earlier sheet stays logged.
  Outcome before = ing_->submit(signed_sheet(phone_, "R1.02")).value();
  ASSERT_EQ(before.verdict, Verdict::kAccepted);
  const uint64_t revoked_at = ing_->add_device_record(revocation(phone_)).value();
  expect_rejected(signed_sheet(phone_), "device_key", "revoked (log index " + std::to_string(revoked_at) + ")");
  // Unsigned sheets of sources that do not require signatures keep working.
  EXPECT_EQ(ing_->submit(election::testing::small_sheet()).value().verdict, Verdict::kAccepted);
}

TEST_F(DeviceIngestTest, ReplayedSubmissionIsADuplicateNotAConflict) {
  ASSERT_TRUE(ing_->add_device_record(enrolment(phone_)));
  Outcome first = ing_->submit(signed_sheet(phone_)).value();
  ASSERT_EQ(first.verdict, Verdict::kAccepted);
  const uint64_t size = log_size();
  Outcome again = ing_->submit(signed_sheet(phone_)).value();  // the phone retries after a timeout
  EXPECT_EQ(again.verdict, Verdict::kDuplicate);
  EXPECT_EQ(again.log_index, first.log_index);
  EXPECT_EQ(log_size(), size);
}

TEST_F(DeviceIngestTest, EnrolmentsAreReplayedFromTheLogAtOpen) {
  ASSERT_TRUE(ing_->add_device_record(enrolment(phone_)));
  ASSERT_TRUE(ing_->add_device_record(enrolment(phone2_)));
  ASSERT_TRUE(ing_->add_device_record(revocation(phone2_)));
  ASSERT_TRUE(ing_->close());
  open();
  EXPECT_EQ(ing_->submit(signed_sheet(phone_)).value().verdict, Verdict::kAccepted);
  expect_rejected(signed_sheet(phone2_, "R1.02"), "device_key", "revoked");
}

TEST_F(DeviceIngestTest, RefusesAnEnrolmentNotSignedByTheOrganisation) {
  election::DeviceRecord r = enrolment(phone_);
  auto operator_key = note::Signer::generate("mud").value();  // the server operator's own key
  r.org_signature = base64_encode(*operator_key.sign(election::device_record_message(r)));
  const uint64_t before = log_size();
  auto at = ing_->add_device_record(r);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(at.error().message.starts_with("org_signature: ")) << at.error().message;
  EXPECT_EQ(log_size(), before);
  expect_rejected(signed_sheet(phone_), "device_key", "not enrolled");
}

TEST_F(DeviceIngestTest, DeviceKeyOptionSignsEverySheet) {
  ASSERT_TRUE(ing_->add_device_record(enrolment(phone_)));
  ASSERT_TRUE(ing_->close());
  IngestorOptions o;
  o.device_signer = std::make_shared<const note::Signer>(phone_);
  ing_ = Ingestor::open(data_, o).value();
  election::Sheet s = election::testing::small_sheet();  // cards only: candidates filled by validation
  s.source = "witness:mud";
  Outcome out = ing_->submit(s).value();
  ASSERT_EQ(out.verdict, Verdict::kAccepted) << out.field << ": " << out.reason;
  ASSERT_TRUE(ing_->log().await_checkpoint(*out.log_index + 1));
  auto e = election::decode_entry(ing_->log().entry(*out.log_index).value()).value();
  EXPECT_EQ(std::get<election::Sheet>(e.record).device_key, phone_.verifier_key());
}

}  // namespace
}  // namespace tallylog::ingest
