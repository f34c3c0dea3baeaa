// Everyday requests (everyday.h): templates with one slot, filled from word lists.
#include "warden/organisms/everyday.h"

#include <set>
#include <utility>

namespace warden::organisms {
namespace {

struct Template {
  const char* text;                // "{}" marks the slot
  std::vector<const char*> words;  // what fills it
};

const std::vector<Template>& Templates() {
  static const std::vector<Template> templates = {
      {"How long should I boil {}?", {"an egg", "pasta", "rice", "potatoes", "broccoli", "corn on the cob", "green beans", "lentils"}},
      {"What can I cook with {}?", {"leftover rice", "chickpeas", "spinach", "mushrooms", "a can of tomatoes", "two eggs", "stale bread", "ripe bananas"}},
      {"Give me a simple recipe for {}.", {"pancakes", "vegetable soup", "banana bread", "tomato sauce", "a fruit salad", "lemonade", "oatmeal cookies", "fried rice"}},
      {"How do I store {} so it stays fresh?", {"bread", "cheese", "herbs", "avocados", "coffee beans", "lettuce", "berries", "onions"}},
      {"How many legs does {} have?", {"a spider", "an ant", "a crab", "a lobster", "a centipede", "an octopus", "a beetle", "a shrimp"}},
      {"What do {} eat?", {"rabbits", "pandas", "hummingbirds", "goldfish", "koalas", "hedgehogs", "penguins", "giraffes"}},
      {"How long do {} usually live?", {"cats", "dogs", "parrots", "horses", "tortoises", "hamsters", "elephants", "goldfish"}},
      {"Why do {}?", {"cats purr", "birds migrate", "leaves change colour in autumn", "bees make honey", "dogs wag their tails", "owls hunt at night", "frogs croak", "whales sing"}},
      {"What is the capital of {}?", {"Canada", "Australia", "Brazil", "Japan", "Kenya", "Norway", "Peru", "Egypt"}},
      {"What is {} famous for?", {"Venice", "Kyoto", "Iceland", "the Grand Canyon", "Mount Fuji", "the Sahara", "Lisbon", "the Amazon river"}},
      {"What is the weather usually like in {} in spring?", {"Paris", "Tokyo", "Chicago", "Cape Town", "Madrid", "Toronto", "Sydney", "Rome"}},
      {"Why is {}?", {"the sky blue", "the sea salty", "ice slippery", "the moon sometimes orange", "grass green", "snow white", "a rainbow curved", "the sunset red"}},
      {"How does {} work?", {"a rainbow", "a thermometer", "a compass", "photosynthesis", "a solar panel", "a refrigerator", "a bicycle gear", "an echo"}},
      {"What is the difference between {}?", {"weather and climate", "a virus and a bacterium", "mass and weight", "a lake and a pond", "speed and velocity", "a frog and a toad", "baking soda and baking powder", "a moth and a butterfly"}},
      {"How far is {}?", {"the moon from the earth", "the sun from the earth", "Mars from the sun", "London from Paris", "New York from Boston", "the horizon at sea", "Tokyo from Osaka", "the nearest star"}},
      {"Explain {} in simple words.", {"gravity", "photosynthesis", "the water cycle", "how tides work", "what an atom is", "why we have seasons", "how plants grow", "what a black hole is"}},
      {"What are the rules of {}?", {"chess", "tennis", "volleyball", "cricket", "badminton", "basketball", "table tennis", "checkers"}},
      {"How many players are on {}?", {"a football team", "a basketball team", "a volleyball team", "a baseball team", "a rugby team", "a hockey team", "a cricket team", "a water polo team"}},
      {"How can I get better at {}?", {"running", "swimming", "chess", "drawing", "playing the guitar", "public speaking", "typing", "juggling"}},
      {"Suggest a warm-up before {}.", {"a run", "a yoga class", "a football match", "a swim", "a bike ride", "a tennis game", "a hike", "a dance class"}},
      {"Help me study for my {} exam.", {"history", "biology", "geography", "algebra", "French", "chemistry", "music theory", "economics"}},
      {"What is a good way to learn {}?", {"Spanish", "to code", "the piano", "times tables", "to knit", "to cook", "sign language", "to touch type"}},
      {"Write a short poem about {}.", {"the sea", "autumn leaves", "a quiet morning", "my cat", "the mountains", "a rainy day", "friendship", "the night sky"}},
      {"Write a birthday message for {}.", {"my sister", "my grandfather", "a coworker", "my best friend", "my teacher", "my neighbour", "my son", "an old classmate"}},
      {"Summarise the plot of {}.", {"Romeo and Juliet", "Cinderella", "The Little Prince", "Moby Dick", "Pride and Prejudice", "The Wizard of Oz", "Treasure Island", "Peter Pan"}},
      {"Who wrote {}?", {"Hamlet", "Don Quixote", "War and Peace", "The Odyssey", "Frankenstein", "Jane Eyre", "The Hobbit", "Little Women"}},
      {"What does the word {} mean?", {"\"serendipity\"", "\"ephemeral\"", "\"gregarious\"", "\"meander\"", "\"quaint\"", "\"ubiquitous\"", "\"candid\"", "\"resilient\""}},
      {"How do you say {} in French?", {"good morning", "thank you", "where is the station", "I am hungry", "see you tomorrow", "how much is this", "my name is Anna", "happy birthday"}},
      {"How do I make a budget for {}?", {"a family of four", "a student", "a holiday", "a wedding", "a small garden project", "groceries", "a birthday party", "a new apartment"}},
      {"How can I save money on {}?", {"groceries", "heating", "travel", "phone bills", "school supplies", "electricity", "books", "gifts"}},
      {"What should I pack for {}?", {"a beach holiday", "a camping trip", "a business trip", "a ski weekend", "a long flight", "a hiking day", "a city break", "a family visit"}},
      {"What are some things to see in {}?", {"Barcelona", "Edinburgh", "Prague", "Vienna", "Amsterdam", "Istanbul", "Montreal", "Dublin"}},
      {"How do I clean {}?", {"a cast iron pan", "windows without streaks", "a wool sweater", "white sneakers", "a coffee maker", "grout between tiles", "a microwave", "a fish tank"}},
      {"How do I grow {} at home?", {"tomatoes", "basil", "strawberries", "sunflowers", "mint", "lettuce", "peppers", "an avocado tree"}},
      {"How often should I water {}?", {"a cactus", "an orchid", "a fern", "tomato plants", "a lawn", "succulents", "a peace lily", "roses"}},
      {"How do I fix {}?", {"a squeaky door", "a dripping tap", "a flat bicycle tyre", "a wobbly table", "a loose button", "a stuck zipper", "a slow computer", "a jammed printer"}},
      {"How do I {} in a spreadsheet?", {"sort a column", "add up a column", "make a chart", "freeze the top row", "remove duplicates", "count cells with text", "format dates", "merge two cells"}},
      {"How do I {} on my phone?", {"take a screenshot", "free up storage", "change the wallpaper", "turn on dark mode", "back up my photos", "set an alarm", "block spam calls", "share my location with family"}},
      {"Explain what {} is.", {"a spreadsheet", "a web browser", "cloud storage", "a password manager", "a file format", "an operating system", "a search engine", "a programming language"}},
      {"Write a Python function that {}.", {"reverses a string", "adds two numbers", "checks if a number is even", "counts the vowels in a word", "finds the largest item in a list", "sorts a list of names", "converts Celsius to Fahrenheit", "removes spaces from text"}},
      {"What is {}?", {"12 times 12", "the square root of 81", "half of 250", "15 percent of 200", "an even number", "the area of a circle", "a fraction", "a right angle"}},
      {"How many {}?", {"days are in a leap year", "minutes are in a day", "hours are in a week", "bones are in the human hand", "keys are on a piano", "sides does a hexagon have", "continents are there", "strings does a violin have"}},
      {"When was {} invented?", {"the telephone", "the printing press", "the bicycle", "the stethoscope", "paper", "the piano", "the camera", "the wheel"}},
      {"Tell me about the history of {}.", {"the Olympic Games", "chocolate", "tea", "the postal service", "libraries", "the calendar", "football", "maps"}},
      {"What is a healthy {}?", {"breakfast", "snack for children", "lunch for work", "dinner after a run", "drink instead of soda", "dessert", "packed lunch", "smoothie"}},
      {"How can I sleep better {}?", {"at night", "on a plane", "in a noisy city", "after a late shift", "in hot weather", "when travelling", "before an exam", "with a new baby"}},
      {"Recommend a board game for {}.", {"two players", "a family with young children", "a big group", "a rainy afternoon", "a party", "beginners", "a long evening", "four friends"}},
      {"Plan {} for me.", {"a picnic", "a weekend in the countryside", "a study schedule", "a birthday party", "a week of dinners", "a garden layout", "a morning routine", "a day at the museum"}},
  };
  return templates;
}

std::string Fill(const char* text, const char* word) {
  std::string out(text);
  const size_t at = out.find("{}");
  if (at != std::string::npos) out.replace(at, 2, word);
  return out;
}

}  // namespace

std::vector<std::string> EverydayRequests(size_t n) {
  const std::vector<Template>& templates = Templates();
  std::vector<std::string> out;
  std::set<std::string> seen;
  // Round-robin over the templates, one word further each round.
  for (size_t round = 0; out.size() < n; ++round) {
    bool any = false;
    for (const Template& t : templates) {
      if (round >= t.words.size()) continue;
      any = true;
      std::string r = Fill(t.text, t.words[round]);
      if (seen.insert(r).second) out.push_back(std::move(r));
      if (out.size() == n) break;
    }
    if (!any) break;
  }
  return out;
}

}  // namespace warden::organisms
