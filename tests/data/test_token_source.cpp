// Token sources: llm.c .bin shards, .npy headers, HDF5 datasets, text through a tokenizer, and
// the cutting into sequences (BOS, separators, rows, vocabulary check, shuffle). The files are
// written here byte by byte, so each expectation follows from the format description alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "coact/core/errors.h"
#include "coact/data/byte_level.h"
#include "coact/data/token_source.h"
#include "coact/data/tokenizer.h"
#include "coact/io/h5.h"
#include "support/temp_dir.h"

namespace coact::data {
namespace {

using Ids = std::vector<std::int32_t>;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// llm.c's layout: 256 int32 (magic, version, count, zeros), then the tokens.
template <class T>
std::string llmc_file(std::int32_t magic, std::int32_t version, const std::vector<T>& tokens, std::int32_t count = -1) {
  std::vector<std::int32_t> header(256, 0);
  header[0] = magic;
  header[1] = version;
  header[2] = count >= 0 ? count : static_cast<std::int32_t>(tokens.size());
  return raw(header) + raw(tokens);
}

// A .npy file (format 1.0) with the given header dict and data bytes, padded as numpy pads.
std::string npy_file(const std::string& dict, const std::string& data, char major = 1) {
  std::string header = dict;
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t unpadded = 8 + length_bytes + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string file = std::string("\x93NUMPY", 6) + major + '\0';
  for (std::size_t i = 0; i < length_bytes; ++i) file += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return file + header + data;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// A byte-level tokenizer with no merges: every byte is its own token, id = byte value.
Tokenizer byte_tokenizer() {
  TokenizerModel model;
  for (int b = 0; b < 256; ++b) model.vocab.emplace_back(byte_level::bytes_to_symbols(std::string(1, static_cast<char>(b))), b);
  model.vocab.emplace_back("<|endoftext|>", 256);
  return Tokenizer("bytes", model, {AddedToken{"<|endoftext|>", 256, true, false, false, false}}, TokenizerPipeline{}, 256);
}

class TokenSources : public ::testing::Test {
 protected:
  testing::TempDir dir;
};

// ---- llm.c .bin ------------------------------------------------------------------------------

TEST_F(TokenSources, LlmcShards) {
  write_bytes(dir.file("gpt2.bin"), llmc_file<std::uint16_t>(20240520, 1, {5, 65535, 0, 7}));
  TokenArray a = read_llmc_bin(dir.file("gpt2.bin"));
  EXPECT_EQ(a.ids, (Ids{5, 65535, 0, 7}));
  EXPECT_EQ(a.row_length, 0);
  EXPECT_EQ(read_llmc_bin(dir.file("gpt2.bin"), {2, 0}).ids, (Ids{5, 65535}));
  write_bytes(dir.file("llama3.bin"), llmc_file<std::uint32_t>(20240801, 7, {128000, 3}));
  EXPECT_EQ(read_llmc_bin(dir.file("llama3.bin")).ids, (Ids{128000, 3}));
  write_bytes(dir.file("empty.bin"), llmc_file<std::uint16_t>(20240520, 1, {}));
  EXPECT_TRUE(read_llmc_bin(dir.file("empty.bin")).ids.empty());
}

TEST_F(TokenSources, BadLlmcShards) {
  const auto message = [&](const std::string& name, const std::string& bytes) {
    write_bytes(dir.file(name), bytes);
    return error_of([&] { read_llmc_bin(dir.file(name)); });
  };
  std::string m = message("magic.bin", llmc_file<std::uint16_t>(1234, 1, {1, 2}));
  EXPECT_NE(m.find("magic.bin"), std::string::npos) << m;
  EXPECT_NE(m.find("magic number 1234"), std::string::npos) << m;
  m = message("version.bin", llmc_file<std::uint16_t>(20240520, 2, {1, 2}));
  EXPECT_NE(m.find("version 2"), std::string::npos) << m;
  m = message("count.bin", llmc_file<std::uint16_t>(20240520, 1, {1, 2, 3}, 5));
  EXPECT_NE(m.find("the header says 5 tokens"), std::string::npos) << m;
  m = message("extra.bin", llmc_file<std::uint16_t>(20240520, 1, {1, 2, 3}, 2));
  EXPECT_NE(m.find("the header says 2 tokens"), std::string::npos) << m;
  m = message("short.bin", std::string(100, '\0'));
  EXPECT_NE(m.find("too short"), std::string::npos) << m;
  m = message("big.bin", llmc_file<std::uint32_t>(20240801, 7, {1, 0x80000000u}));
  EXPECT_NE(m.find("does not fit int32"), std::string::npos) << m;
}

// ---- .npy -------------------------------------------------------------------------------------

TEST_F(TokenSources, NpyArrays) {
  write_bytes(dir.file("rows.npy"),
              npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", raw(Ids{1, 2, 3, 4, 5, 6})));
  TokenArray rows = read_npy_tokens(dir.file("rows.npy"));
  EXPECT_EQ(rows.ids, (Ids{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(rows.row_length, 3);
  EXPECT_EQ(rows.rows(), 2);
  EXPECT_EQ(read_npy_tokens(dir.file("rows.npy"), {0, 1}).ids, (Ids{1, 2, 3}));
  write_bytes(dir.file("u16.npy"), npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }",
                                            raw(std::vector<std::uint16_t>{9, 65535, 0})));
  EXPECT_EQ(read_npy_tokens(dir.file("u16.npy")).ids, (Ids{9, 65535, 0}));
  write_bytes(dir.file("i64.npy"), npy_file("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<i8\"}",
                                            raw(std::vector<std::int64_t>{50256, 11}), 2));
  EXPECT_EQ(read_npy_tokens(dir.file("i64.npy")).ids, (Ids{50256, 11}));
  write_bytes(dir.file("u8.npy"), npy_file("{'descr': '|u1', 'fortran_order': True, 'shape': (2,), }", std::string("\x07\xFF", 2)));
  EXPECT_EQ(read_npy_tokens(dir.file("u8.npy")).ids, (Ids{7, 255}));
}

TEST_F(TokenSources, BadNpyFiles) {
  const auto message = [&](const std::string& name, const std::string& bytes) {
    write_bytes(dir.file(name), bytes);
    const std::string m = error_of([&] { read_npy_tokens(dir.file(name)); });
    EXPECT_NE(m.find(name), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  };
  const std::string data = raw(Ids{1, 2, 3});
  EXPECT_NE(message("float.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data)).find("not an integer type"),
            std::string::npos);
  EXPECT_NE(message("big_endian.npy", npy_file("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", data)).find("big-endian"),
            std::string::npos);
  EXPECT_NE(message("no_order.npy", npy_file("{'descr': '<i4', 'shape': (3,), }", data)).find("missing"), std::string::npos);
  EXPECT_NE(message("short.npy", npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", data)).find("needs 16 bytes"),
            std::string::npos);
  EXPECT_NE(message("magic.npy", "\x93NUMPX" + data).find("not a .npy file"), std::string::npos);
  EXPECT_NE(message("rank3.npy", npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 3), }", data)).find("[1, 1, 3]"),
            std::string::npos);
  EXPECT_NE(message("garbage.npy", npy_file("{'descr': '<i4', 'fortran_order': Maybe, 'shape': (3,), }", data)).find("True or False"),
            std::string::npos);
  EXPECT_NE(message("trailing.npy", npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), } x", data)).find("after"),
            std::string::npos);
  EXPECT_NE(message("fortran.npy", npy_file("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2), }", raw(Ids{1, 2, 3, 4})))
                .find("Fortran"),
            std::string::npos);
  std::string version4 = npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", data);
  version4[6] = 4;
  EXPECT_NE(message("v4.npy", version4).find("version 4.0"), std::string::npos);
  EXPECT_NE(message("huge.npy", npy_file("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", raw(std::vector<std::uint32_t>{3000000000u})))
                .find("does not fit int32"),
            std::string::npos);
}

// ---- HDF5 -------------------------------------------------------------------------------------

TEST_F(TokenSources, Hdf5TokensAndDocuments) {
  {
    io::File f = io::File::create(dir.file("rows.h5"));
    f.write_dataset<std::int32_t>("/tokens", Ids{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {2, 5});
    io::File g = io::File::create(dir.file("docs.h5"));
    g.create_group("/documents");
    // Stored out of order and with "10" after "2" by name: read back by number.
    g.write_dataset<std::int32_t>("/documents/10", Ids{10}, {1});
    g.write_dataset<std::int32_t>("/documents/2", Ids{2, 2}, {2});
    g.write_dataset<std::int64_t>("/documents/0", std::vector<std::int64_t>{0, 0, 0}, {3});
    g.write_dataset<std::uint16_t>("/documents/1", std::vector<std::uint16_t>{1}, {1});
  }
  const std::vector<TokenArray> rows = read_hdf5_tokens(dir.file("rows.h5"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].row_length, 5);
  EXPECT_EQ(rows[0].ids, (Ids{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(rows[0].where, dir.file("rows.h5") + ":/tokens");
  EXPECT_EQ(read_hdf5_tokens(dir.file("rows.h5"), {0, 1})[0].ids, (Ids{1, 2, 3, 4, 5}));
  const std::vector<TokenArray> docs = read_hdf5_tokens(dir.file("docs.h5"));
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].ids, (Ids{0, 0, 0}));
  EXPECT_EQ(docs[1].ids, (Ids{1}));
  EXPECT_EQ(docs[2].ids, (Ids{2, 2}));
  EXPECT_EQ(docs[3].ids, (Ids{10}));
  EXPECT_EQ(docs[3].where, dir.file("docs.h5") + ":/documents/10");
}

TEST_F(TokenSources, BadHdf5Files) {
  {
    io::File f = io::File::create(dir.file("float.h5"));
    f.write_dataset<float>("/tokens", std::vector<float>{1, 2}, {2});
    io::File g = io::File::create(dir.file("none.h5"));
    g.write_dataset<std::int32_t>("/other", Ids{1}, {1});
    io::File h = io::File::create(dir.file("wide.h5"));
    h.write_dataset<std::int64_t>("/tokens", std::vector<std::int64_t>{1, std::int64_t{1} << 40}, {2});
    io::File k = io::File::create(dir.file("rank3.h5"));
    k.write_dataset<std::int32_t>("/tokens", Ids{1, 2}, {1, 1, 2});
  }
  EXPECT_NE(error_of([&] { read_hdf5_tokens(dir.file("float.h5")); }).find("float.h5:/tokens: token ids must be integers"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_hdf5_tokens(dir.file("none.h5")); }).find("no /tokens"), std::string::npos);
  EXPECT_NE(error_of([&] { read_hdf5_tokens(dir.file("wide.h5")); }).find("at position 1 does not fit int32"), std::string::npos);
  EXPECT_NE(error_of([&] { read_hdf5_tokens(dir.file("rank3.h5")); }).find("[1, 1, 2]"), std::string::npos);
}

// ---- detection and text -----------------------------------------------------------------------

TEST_F(TokenSources, FormatDetection) {
  write_bytes(dir.file("a.txt"), "hello");
  write_bytes(dir.file("llmc.dat"), llmc_file<std::uint16_t>(20240520, 1, {1}));
  write_bytes(dir.file("array.dat"), npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", raw(Ids{1})));
  { io::File f = io::File::create(dir.file("tokens.dat")); }
  write_bytes(dir.file("wrong.bin"), "not llm.c at all");
  EXPECT_EQ(detect_token_format(dir.file("a.txt")), TokenFileFormat::Text);
  EXPECT_EQ(detect_token_format(dir.file("llmc.dat")), TokenFileFormat::LlmcBin);
  EXPECT_EQ(detect_token_format(dir.file("array.dat")), TokenFileFormat::Npy);
  EXPECT_EQ(detect_token_format(dir.file("tokens.dat")), TokenFileFormat::Hdf5);
  EXPECT_EQ(detect_token_format(dir.file("wrong.bin")), TokenFileFormat::LlmcBin);  // by name: then its magic fails
  EXPECT_THROW(read_token_file(dir.file("wrong.bin"), {}), InputError);
  EXPECT_THROW(read_token_file(dir.file("a.txt"), {}), UsageError);  // text needs a tokenizer
  EXPECT_THROW(detect_token_format(dir.file("missing.txt")), InputError);
}

TEST_F(TokenSources, TextThroughATokenizer) {
  const Tokenizer bytes = byte_tokenizer();
  write_bytes(dir.file("doc.txt"), "ab\n<|endoftext|>é");
  TokenReadOptions read;
  read.tokenizer = &bytes;
  const std::vector<TokenArray> arrays = read_token_file(dir.file("doc.txt"), read);
  ASSERT_EQ(arrays.size(), 1u);
  EXPECT_EQ(arrays[0].ids, (Ids{97, 98, 10, 256, 0xC3, 0xA9}));
  write_bytes(dir.file("bad.txt"), "fine\nthen \xFF here");
  const std::string m = error_of([&] { read_token_file(dir.file("bad.txt"), read); });
  EXPECT_NE(m.find("bad.txt: not valid UTF-8 at byte 10"), std::string::npos) << m;
}

// ---- sequences --------------------------------------------------------------------------------

TokenArray stream(Ids ids, std::string where = "stream") { return TokenArray{std::move(where), std::move(ids), 0}; }

TEST(Sequences, BosThenTextIdsAndTheRestIsDropped) {
  SequenceOptions o;
  o.seq_len = 4;
  o.bos_id = 0;
  TokenSequences s = make_sequences({stream({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})}, o);
  EXPECT_EQ(s.sequences, 3);
  EXPECT_EQ(s.seq_len, 4);
  EXPECT_EQ(s.ids, (Ids{0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9}));
  EXPECT_EQ(s.dropped_tokens, 1);
  o.prepend_bos = false;
  s = make_sequences({stream({1, 2, 3, 4, 5, 6, 7, 8, 9, 10})}, o);
  EXPECT_EQ(s.ids, (Ids{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(s.dropped_tokens, 2);
}

TEST(Sequences, StreamsJoinWithTheSeparator) {
  SequenceOptions o;
  o.seq_len = 3;
  o.bos_id = 0;
  o.separator_id = 9;
  // 1 2 3 | 4 5 6 7 | 8 joined as 1 2 3 9 4 5 6 7 9 8: sequences of BOS + 2 ids.
  const TokenSequences s = make_sequences({stream({1, 2, 3}), stream({4, 5, 6, 7}), stream({8})}, o);
  EXPECT_EQ(s.ids, (Ids{0, 1, 2, 0, 3, 9, 0, 4, 5, 0, 6, 7, 0, 9, 8}));
  EXPECT_EQ(s.dropped_tokens, 0);
}

TEST(Sequences, RowsAreTakenAsTheyAre) {
  SequenceOptions o;
  o.seq_len = 3;
  o.bos_id = 0;
  const TokenArray rows{"rows", {1, 2, 3, 4, 5, 6, 7, 8}, 4};
  // Stream, rows, stream: the first stream's rest is dropped when the rows come; rows keep
  // their first 3 positions and get no BOS.
  const TokenSequences s = make_sequences({stream({11, 12, 13}), rows, stream({21, 22})}, o);
  EXPECT_EQ(s.ids, (Ids{0, 11, 12, 1, 2, 3, 5, 6, 7, 0, 21, 22}));
  EXPECT_EQ(s.dropped_tokens, 1);
  o.seq_len = 5;
  EXPECT_NE(error_of([&] { make_sequences({rows}, o); }).find("rows: rows of 4 positions are shorter than the sequence length 5"),
            std::string::npos);
}

TEST(Sequences, MaxSequencesAndOptionErrors) {
  SequenceOptions o;
  o.seq_len = 2;
  o.prepend_bos = false;
  o.max_sequences = 2;
  EXPECT_EQ(make_sequences({stream({1, 2, 3, 4, 5, 6})}, o).ids, (Ids{1, 2, 3, 4}));
  o.prepend_bos = true;  // no bos_id
  EXPECT_THROW(make_sequences({stream({1, 2})}, o), UsageError);
  o.bos_id = 0;
  o.seq_len = 1;
  EXPECT_THROW(make_sequences({stream({1, 2})}, o), UsageError);
}

TEST(Sequences, VocabularyCheckNamesFilePositionAndId) {
  SequenceOptions o;
  o.seq_len = 2;
  o.prepend_bos = false;
  o.vocab_size = 50;
  EXPECT_EQ(error_of([&] { make_sequences({stream({1, 2, 3, 50, 4}, "shard.bin")}, o); }),
            "shard.bin: token id 50 at position 3 is not below the vocabulary size 50");
  EXPECT_EQ(error_of([&] { make_sequences({TokenArray{"t.h5:/tokens", {1, 2, 3, -4}, 2}}, o); }),
            "t.h5:/tokens: token id -4 at row 1, position 1 is negative");
  o.vocab_size = 0;  // unknown vocabulary: negative ids are still wrong
  EXPECT_THROW(make_sequences({stream({1, -1})}, o), InputError);
}

TEST(Sequences, ShuffleIsAReproduciblePermutation) {
  Ids ids(400);
  for (std::int32_t i = 0; i < 400; ++i) ids[static_cast<std::size_t>(i)] = i;
  SequenceOptions o;
  o.seq_len = 4;
  o.prepend_bos = false;
  const TokenSequences plain = make_sequences({stream(ids)}, o);
  o.shuffle_seed = 17;
  const TokenSequences a = make_sequences({stream(ids)}, o), b = make_sequences({stream(ids)}, o);
  o.shuffle_seed = 18;
  const TokenSequences c = make_sequences({stream(ids)}, o);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_NE(a.ids, plain.ids);
  EXPECT_NE(a.ids, c.ids);
  // Rows move whole: each is still 4 consecutive ids, and every row is there once.
  std::vector<std::int32_t> firsts;
  for (std::int64_t r = 0; r < a.sequences; ++r) {
    const std::int32_t* row = a.ids.data() + r * 4;
    EXPECT_EQ(row[1], row[0] + 1);
    EXPECT_EQ(row[3], row[0] + 3);
    firsts.push_back(row[0]);
  }
  std::sort(firsts.begin(), firsts.end());
  for (std::size_t r = 0; r < firsts.size(); ++r) EXPECT_EQ(firsts[r], static_cast<std::int32_t>(4 * r));
}

TEST(Sequences, ShuffleDrawsEveryOrderAboutEquallyOften) {
  // Fisher-Yates with uniform draws gives each of the 3! orders probability 1/6.
  std::map<Ids, int> counts;
  SequenceOptions o;
  o.seq_len = 1;
  o.prepend_bos = false;
  const int seeds = 6000;
  for (int seed = 0; seed < seeds; ++seed) {
    o.shuffle_seed = static_cast<std::uint64_t>(seed);
    ++counts[make_sequences({stream({0, 1, 2})}, o).ids];
  }
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [order, count] : counts) {
    EXPECT_GT(count, seeds / 6 - 150);  // ±150 is over 5 standard deviations (sd ≈ 29)
    EXPECT_LT(count, seeds / 6 + 150);
  }
}

TEST_F(TokenSources, LoadReadsOnlyWhatItNeeds) {
  std::vector<std::uint16_t> tokens(100000);
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::uint16_t>(i % 1000);
  write_bytes(dir.file("big.bin"), llmc_file(20240520, 1, tokens));
  const Tokenizer bytes = byte_tokenizer();
  write_bytes(dir.file("tail.txt"), "xyz");
  TokenReadOptions read;
  read.tokenizer = &bytes;
  SequenceOptions o;
  o.seq_len = 10;
  o.bos_id = 256;
  o.separator_id = 256;
  o.vocab_size = 1000;
  o.max_sequences = 3;
  const TokenSequences s = load_token_sequences({dir.file("big.bin"), dir.file("tail.txt")}, read, o);
  EXPECT_EQ(s.sequences, 3);
  for (std::int64_t r = 0; r < 3; ++r) {
    EXPECT_EQ(s.ids[static_cast<std::size_t>(r * 10)], 256);
    for (std::int64_t p = 1; p < 10; ++p) EXPECT_EQ(s.ids[static_cast<std::size_t>(r * 10 + p)], r * 9 + p - 1);
  }
  // All of it: the shard, the separator, the text; the text's ids (120..122) are in the
  // vocabulary of 1000, and 100000 + 1 + 3 ids make 11,111 sequences of 9 with 5 left.
  o.max_sequences = 0;
  const TokenSequences all = load_token_sequences({dir.file("big.bin"), dir.file("tail.txt")}, read, o);
  EXPECT_EQ(all.sequences, 11111);
  EXPECT_EQ(all.dropped_tokens, 5);
}

}  // namespace
}  // namespace coact::data
