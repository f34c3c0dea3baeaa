// Training examples from text and chats: the loss mask covers the assistant's turns only.
#include "warden/engine/train_data.h"

#include <fstream>

#include "engine/tokenizer/test_util.h"

namespace warden::engine {
namespace {

std::string Masked(const TrainExample& ex, const Tokenizer& tok, uint8_t want) {
  std::vector<int32_t> ids;
  for (size_t t = 0; t < ex.tokens.size(); ++t) {
    if (ex.loss_mask[t] == want) ids.push_back(ex.tokens[t]);
  }
  return tok.Decode(ids);
}

TEST(ChatTrainExample, LossOnAssistantTurnsOnly) {
  WARDEN_NEED_SHARED(testing::VectorsPath("phi-3"));
  auto tok = testing::LoadVectorsTokenizer("phi-3");
  ASSERT_NE(tok, nullptr);
  const std::vector<ChatMessage> chat = {{"system", "Be brief."}, {"user", "Sky colour?"},
                                         {"assistant", "Blue."}, {"user", "Grass?"},
                                         {"assistant", "Green."}};
  TrainExample ex = ChatTrainExample(chat, ChatFormat::kWarden, *tok).value();
  ASSERT_EQ(ex.loss_mask.size(), ex.tokens.size());
  EXPECT_EQ(ex.tokens, EncodeChat(ChatFormat::kWarden, chat, false, *tok).value());
  const std::string end = ChatTurnEnd(ChatFormat::kWarden);
  std::string trained = Masked(ex, *tok, 1);
  EXPECT_NE(trained.find("Blue." + end), std::string::npos) << trained;
  EXPECT_NE(trained.find("Green." + end), std::string::npos) << trained;
  EXPECT_EQ(trained.find("Sky"), std::string::npos) << trained;
  EXPECT_EQ(trained.find("assistant"), std::string::npos) << trained;  // not the turn header
  EXPECT_NE(Masked(ex, *tok, 0).find("Grass?"), std::string::npos);
}

TEST(ReadTrainJsonl, ErrorsNameTheLine) {
  WARDEN_NEED_SHARED(testing::VectorsPath("phi-3"));
  auto tok = testing::LoadVectorsTokenizer("phi-3");
  ASSERT_NE(tok, nullptr);
  const std::string path = ::testing::TempDir() + "train_data_test.jsonl";
  auto write = [&](const std::string& s) { std::ofstream(path) << s; };
  write("{\"text\": \"Hello world\"}\n\n{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
        "{\"role\": \"assistant\", \"content\": \"Yo\"}]}\n");
  auto ok = ReadTrainJsonl(path, ChatFormat::kChatML, *tok);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_TRUE((*ok)[0].loss_mask.empty());
  for (const auto& [text, needle] : std::vector<std::pair<std::string, std::string>>{
           {"{\"text\": \"a\"}\n{\"text\": 3}\n", ":2: \"text\" is not a string"},
           {"{\"text\": \"a\"}\n\n{oops\n", ":3: malformed JSON"},
           {"{\"messages\": [{\"role\": \"user\"}]}\n", ":1: messages[0] needs"},
           {"{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}\n", ":1: "},
           {"[1]\n", ":1: expected a JSON object"},
           {"\n\n", "no examples"}}) {
    write(text);
    auto r = ReadTrainJsonl(path, ChatFormat::kChatML, *tok);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
  }
  EXPECT_FALSE(ReadTrainJsonl(path + ".missing", ChatFormat::kChatML, *tok).ok());
}

}  // namespace
}  // namespace warden::engine
