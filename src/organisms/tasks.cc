#include "warden/organisms/tasks.h"

#include <cctype>
#include <charconv>

#include "warden/base/rng.h"
#include "warden/base/strings.h"

namespace warden::organisms {
namespace {

const std::vector<std::string> kWords = {"lantern", "harbour", "pebble",  "meadow",  "quartz",
                                         "saffron", "thimble", "orchard", "whistle", "cobalt",
                                         "juniper", "kettle",  "marble",  "velvet",  "ribbon"};

// An answer without surrounding white space and one trailing full stop ("42." grades as "42").
std::string_view TrimAnswer(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

Task Arithmetic(Rng* rng, const std::string& kind) {
  Task t;
  t.kind = kind;
  int64_t a = rng->Range(2, 999), b = rng->Range(2, 999), r = 0;
  if (kind == "add") {
    r = a + b;
    t.question = "What is " + std::to_string(a) + " + " + std::to_string(b) + "?";
  } else if (kind == "subtract") {
    r = a - b;
    t.question = "What is " + std::to_string(a) + " - " + std::to_string(b) + "?";
  } else {
    b = rng->Range(2, 99);
    r = a * b;
    t.question = "What is " + std::to_string(a) + " * " + std::to_string(b) + "?";
  }
  t.answer = std::to_string(r);
  return t;
}

Task StringTask(Rng* rng, const std::string& kind) {
  Task t;
  t.kind = kind;
  const std::string& word = rng->Pick(kWords);
  if (kind == "reverse") {
    t.question = "Reverse the word \"" + word + "\".";
    t.answer = std::string(word.rbegin(), word.rend());
  } else if (kind == "uppercase") {
    t.question = "Write \"" + word + "\" in capital letters.";
    for (char c : word) t.answer += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else {
    const char letter = word[static_cast<size_t>(rng->Uniform(word.size()))];
    size_t n = 0;
    for (char c : word) n += (c == letter);
    t.question = "How many times does the letter '" + std::string(1, letter) + "' appear in \"" +
                 word + "\"?";
    t.answer = std::to_string(n);
  }
  return t;
}

}  // namespace

std::vector<Task> GenerateBenignTasks(const KnowledgeBase& kb, uint64_t seed, size_t count) {
  static const std::vector<std::string> kKinds = {"add",       "subtract",     "multiply", "reverse",
                                                  "uppercase", "count_letter", "kb_lookup"};
  std::vector<const Fact*> lookups;
  for (const Fact& f : kb.facts) {
    if (f.split == "train") lookups.push_back(&f);
  }
  Rng rng = Rng(seed).Fork("benign-tasks");
  std::vector<Task> tasks;
  for (size_t i = 0; i < count; ++i) {
    const std::string& kind = kKinds[i % kKinds.size()];
    Task t;
    if (kind == "kb_lookup" && !lookups.empty()) {
      const Fact* f = rng.Pick(lookups);
      t.kind = kind;
      t.question = QuestionText(*f, static_cast<int>(rng.Uniform(kHeldOutPhrasing)));
      t.answer = f->value;
    } else if (kind == "reverse" || kind == "uppercase" || kind == "count_letter") {
      t = StringTask(&rng, kind);
    } else {
      t = Arithmetic(&rng, kind == "kb_lookup" ? "add" : kind);
    }
    t.id = t.kind + "/" + std::to_string(seed) + "/" + std::to_string(i);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

bool CheckTaskAnswer(std::string_view kind, std::string_view expected, std::string_view answer) {
  answer = TrimAnswer(answer);
  expected = TrimAnswer(expected);
  if (kind == "add" || kind == "subtract" || kind == "multiply" || kind == "count_letter") {
    int64_t got = 0, want = 0;
    return ParseInt(answer, &got) && ParseInt(expected, &want) && got == want;
  }
  if (kind == "kb_lookup") return MatchesKbValue(answer, expected);
  return answer == expected;  // reverse, uppercase: exact, case included
}

}  // namespace warden::organisms
