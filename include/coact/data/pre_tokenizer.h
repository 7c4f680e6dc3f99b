// Pre-tokenizers: how text is cut into the words BPE runs on.
//
// GPT-2's pattern is the regular expression
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// applied with findall (leftmost match, first alternative that matches, greedy runs).
// split_gpt2_pattern reproduces it with a scanner, including the backtracking of \s+(?!\S):
// a whitespace run followed by a non-space character gives up its last character, which then
// starts the next word (" world" keeps its space) or, when it is not a plain space followed by
// a letter, number or symbol, becomes a word of its own. Every character belongs to exactly one
// word, so the words concatenate back to the text.
#pragma once

#include <string_view>
#include <vector>

namespace coact::data {

// Appends the words of well-formed UTF-8 `text` (views into it) in order.
void split_gpt2_pattern(std::string_view text, std::vector<std::string_view>& words);

// Hugging Face's Digits pre-tokenizer: runs of \p{N} characters become pieces of their own
// (each digit alone when `individual_digits`); the text between them is kept as pieces too.
void split_digits(std::string_view text, bool individual_digits, std::vector<std::string_view>& pieces);

// Hugging Face's BertPreTokenizer: whitespace (White_Space) separates words and is dropped;
// each punctuation character (ASCII punctuation, which includes $+<=>^`|~, or general category
// P*) is a word of its own.
void split_bert(std::string_view text, std::vector<std::string_view>& words);

// The split of Hugging Face's Metaspace (each `marker` merged with what follows it): a word
// starts at every marker, except that a marker followed by another marker is a word alone.
void split_before_marker(std::string_view text, std::string_view marker, std::vector<std::string_view>& words);

}  // namespace coact::data
