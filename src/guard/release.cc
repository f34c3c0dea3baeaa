#include "warden/guard/release.h"

#include <algorithm>

namespace warden::guard {

size_t CompleteUtf8Prefix(std::string_view s) {
  // Walk back over at most 3 continuation bytes to the last lead byte; keep it only if its
  // sequence is complete.
  size_t n = s.size();
  size_t i = n;
  int back = 0;
  while (i > 0 && back < 4) {
    const unsigned char c = static_cast<unsigned char>(s[i - 1]);
    if ((c & 0xC0) != 0x80) {  // a lead (or ASCII) byte at i-1
      const size_t need = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
      return n - (i - 1) >= need ? n : i - 1;
    }
    --i, ++back;
  }
  return n;  // only continuation bytes: invalid anyway, let the encoder replace them
}

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t need = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    bool ok = need > 0 && i + need <= s.size();
    for (size_t k = 1; ok && k < need; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok) {
      out.append(s, i, need);
      i += need;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for this byte, then try again at the next one
      ++i;
    }
  }
  return out;
}

ReleaseBuffer::ReleaseBuffer(int64_t holdback, std::vector<std::string> stops)
    : holdback_(holdback), stops_(std::move(stops)) {
  for (const std::string& s : stops_) longest_stop_ = std::max(longest_stop_, s.size());
}

bool ReleaseBuffer::Add(const std::string& bytes) {
  if (stopped() || cut_ || final_) return stopped();
  const size_t before = raw_.size();
  raw_ += bytes;
  ends_.push_back(raw_.size());
  // A stop string can only newly appear in the window that ends in this token's bytes.
  const size_t from = before >= longest_stop_ ? before - longest_stop_ + 1 : 0;
  for (const std::string& s : stops_) {
    if (s.empty()) continue;
    const size_t at = raw_.find(s, from);
    if (at != std::string::npos && at < stop_at_) stop_at_ = at;
  }
  return stopped();
}

void ReleaseBuffer::Scored(int64_t n) {
  scored_ = std::max(scored_, n);
  if (!cut_ && !final_) allowed_tokens_ = std::max<int64_t>(allowed_tokens_, std::min<int64_t>(tokens(), scored_ - holdback_));
}

void ReleaseBuffer::Cut() {
  if (final_) return;
  cut_ = true;  // everything not yet released is withheld: the firing token and all held back
}

void ReleaseBuffer::Finish(int64_t n) {
  if (cut_) return;
  final_ = true;
  allowed_tokens_ = std::max<int64_t>(allowed_tokens_, std::min<int64_t>(n, tokens()));
}

std::string ReleaseBuffer::Take() {
  if (cut_) return "";
  size_t limit = allowed_tokens_ > 0 ? ends_[static_cast<size_t>(allowed_tokens_) - 1] : 0;
  if (stopped()) limit = std::min(limit, stop_at_);
  // Bytes that may still turn out to begin a stop string wait, unless the stream is over.
  if (!final_ && !stopped() && longest_stop_ > 1 && limit + longest_stop_ - 1 > raw_.size()) {
    limit = raw_.size() >= longest_stop_ - 1 ? std::min(limit, raw_.size() - (longest_stop_ - 1)) : 0;
  }
  if (!final_) limit = CompleteUtf8Prefix(std::string_view(raw_).substr(0, limit));
  if (limit <= sent_bytes_) return "";
  std::string delta = ValidUtf8(std::string_view(raw_).substr(sent_bytes_, limit - sent_bytes_));
  sent_bytes_ = limit;
  released_text_ += delta;
  released_tokens_ = static_cast<int64_t>(std::upper_bound(ends_.begin(), ends_.end(), sent_bytes_) - ends_.begin());
  return delta;
}

}  // namespace warden::guard
