#include "tallylog/http/tally_cache.h"

#include <gtest/gtest.h>

namespace tallylog::http {
namespace {

// A cached 200 JSON answer of `bytes` bytes, formatted into a buffer from the cache's pool.
Response answer(TallyCache& cache, const std::string& key, size_t bytes) {
  auto c = cache.lock();
  auto r = c.cached(key, 1, [&]() -> Result<Response> {
    std::string body = c.body_buffer(bytes);
    body.assign(bytes, 'x');
    return Response::json(200, std::move(body));
  });
  EXPECT_TRUE(r.has_value());
  return std::move(*r);
}

TEST(TallyCacheBodyPool, ALargeBodyReleasedByTheCacheAndEveryReaderLendsItsStorageToTheNext) {
  TallyCache cache(nullptr);
  const size_t big = 8u << 20;  // above BodyPool::kMinCapacity
  const char* storage = nullptr;
  {
    Response first = answer(cache, "a", big);
    ASSERT_TRUE(first.shared_body);
    storage = first.shared_body->data();
    // Evicted from the cache (a body past the cache's byte bound starts it over) but still
    // being written to a reader: not reusable yet.
    Response second = answer(cache, "b", TallyCache::kMaxBodyBytes + 1);
    EXPECT_EQ(cache.idle_body_buffers(), 0u);
  }
  // Every holder let go: both storages wait in the pool.
  answer(cache, "c", 16);  // evicts "b" from the cache
  EXPECT_EQ(cache.idle_body_buffers(), 2u);
  // The next large body is written into the smallest storage that holds it: the first one's.
  Response third = answer(cache, "d", big - 1);
  EXPECT_EQ(third.shared_body->data(), storage);
  EXPECT_EQ(*third.shared_body, std::string(big - 1, 'x'));
  EXPECT_EQ(cache.idle_body_buffers(), 1u);
  // Nor does a body four times smaller than the storage left (the second one's, 128 MB).
  EXPECT_LT(cache.lock().body_buffer(16u << 20).capacity(), size_t{1} << 20);
  EXPECT_EQ(cache.idle_body_buffers(), 1u);
  // A small body takes no large storage.
  EXPECT_LT(cache.lock().body_buffer(1024).capacity(), size_t{1} << 20);
  EXPECT_EQ(cache.idle_body_buffers(), 1u);
}

}  // namespace
}  // namespace tallylog::http
