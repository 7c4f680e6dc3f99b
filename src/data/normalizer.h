// The normalisation steps of a tokenizer pipeline (TokenizerPipeline::Normalization), private to
// the data module: what Hugging Face's normalisers do to the text between added tokens.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "coact/data/tokenizer.h"

namespace coact::data {

// The text after every step, in order (well-formed UTF-8 in, well-formed UTF-8 out).
std::string normalize(std::string_view text, std::span<const TokenizerPipeline::Normalization> steps);

// Hugging Face's BertNormalizer on its own.
std::string bert_normalize(std::string_view text, const TokenizerPipeline::Normalization& flags);

// The CJK ideograph blocks BertNormalizer surrounds with spaces (its is_chinese_char).
bool is_cjk_ideograph(char32_t code_point);

}  // namespace coact::data
