#include "tallylog/mirror/prefetch.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace tallylog::mirror {

struct Prefetcher::Impl {
  std::vector<Item> items;
  size_t window = 16;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<Got>> done;
  size_t next_fetch = 0;  // next index a worker takes
  size_t consumed = 0;    // next index next() returns
  bool stopping = false;
  std::atomic<uint64_t> bytes{0};
  std::vector<std::thread> threads;

  void work(std::unique_ptr<log::LogFiles> files, std::optional<Error> open_error) {
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stopping || (next_fetch < items.size() && next_fetch < consumed + window); });
      if (stopping) return;
      size_t i = next_fetch++;
      const Item item = items[i];
      lock.unlock();
      Got g;
      g.rel = item.rel;
      if (open_error) {
        g.data = std::unexpected(*open_error);
      } else {
        g.data = files->read(item.rel);
        if (!g.data && g.data.error().code == ErrorCode::kNotFound && !item.fallback.empty()) {
          g.rel = item.fallback;
          g.data = files->read(item.fallback);
        }
        if (g.data) bytes += g.data->size();
      }
      lock.lock();
      done[i] = std::move(g);
      cv.notify_all();
    }
  }
};

Prefetcher::Prefetcher(OpenFiles open, std::vector<Item> items, size_t threads, size_t window)
    : impl_(std::make_shared<Impl>()) {
  impl_->items = std::move(items);
  impl_->window = std::max<size_t>(window, 1);
  impl_->done.resize(impl_->items.size());
  threads = std::max<size_t>(1, std::min(threads, impl_->items.size()));
  for (size_t t = 0; t < threads && !impl_->items.empty(); ++t) {
    auto files = open();
    std::optional<Error> e;
    std::unique_ptr<log::LogFiles> f;
    if (files) f = std::move(*files);
    else e = files.error();
    impl_->threads.emplace_back([impl = impl_.get(), f = std::move(f), e]() mutable { impl->work(std::move(f), e); });
  }
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->threads) t.join();
}

Prefetcher::Got Prefetcher::next() {
  auto& m = *impl_;
  std::unique_lock lock(m.mu);
  size_t i = m.consumed;
  if (i >= m.items.size()) {
    Got g;
    g.data = err(ErrorCode::kInternal, "prefetcher: more files asked for than listed");
    return g;
  }
  m.cv.wait(lock, [&] { return m.done[i].has_value(); });
  Got g = std::move(*m.done[i]);
  m.done[i].reset();
  ++m.consumed;
  m.cv.notify_all();
  return g;
}

uint64_t Prefetcher::bytes() const { return impl_->bytes.load(); }

}  // namespace tallylog::mirror
