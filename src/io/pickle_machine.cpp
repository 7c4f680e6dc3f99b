// The restricted unpickler: pickle's stack machine for the opcodes torch.save emits, with
// globals resolved by name against a fixed whitelist and applied by C++ code (never imported).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include "coact/core/errors.h"
#include "coact/core/json_value.h"
#include "coact/io/torch_pickle.h"
#include "display_name.h"
#include "pickle_tables.h"

namespace coact::io {
namespace {

using detail::display_name;
using detail::Known;
using detail::opcode_name;
using Kind = PickleValue::Kind;

}  // namespace

class Unpickler {
 public:
  Unpickler(std::span<const std::uint8_t> pickle, const std::string& context, const PickleLimits& limits)
      : data_(pickle), context_(context), limits_(limits) {}

  PickleTree run() {
    if (data_.size() > limits_.max_pickle_bytes)
      throw InputError(str(context_, ": pickle of ", data_.size(), " bytes exceeds the limit of ", limits_.max_pickle_bytes));
    for (;;) {
      if (pos_ >= data_.size()) throw InputError(str(context_, ": pickle ends without STOP (truncated)"));
      op_pos_ = pos_;
      op_ = data_[pos_++];
      if (op_ == '.') break;
      step();
    }
    tree_.root_ = pop();
    return std::move(tree_);
  }

 private:
  std::span<const std::uint8_t> data_;
  const std::string& context_;
  const PickleLimits& limits_;
  std::size_t pos_ = 0, op_pos_ = 0;
  std::size_t items_ = 0;  // elements of all containers
  std::uint8_t op_ = 0;
  PickleTree tree_;
  std::vector<PickleValue*> stack_;
  std::vector<std::size_t> marks_;  // stack sizes at each open MARK
  std::unordered_map<std::uint64_t, PickleValue*> memo_;
  std::map<std::string, PickleValue*, std::less<>> storage_by_key_;
  // Per dict: canonical key -> entry index, so a repeated key replaces the value as in Python.
  std::unordered_map<const PickleValue*, std::unordered_map<std::string, std::size_t>> dict_keys_;

  [[noreturn]] void fail(std::string_view what) const {
    const char* name = opcode_name(op_);
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", op_);
    throw InputError(str(context_, ": byte ", op_pos_, " (", name ? name : code, "): ", what));
  }

  // ---- reading the stream ----------------------------------------------------------------

  const std::uint8_t* take(std::uint64_t bytes) {
    if (bytes > data_.size() - pos_) fail(str("needs ", bytes, " more bytes but the pickle ends (truncated)"));
    const std::uint8_t* p = data_.data() + pos_;
    pos_ += static_cast<std::size_t>(bytes);
    return p;
  }
  std::uint64_t read_le(int bytes) {
    const std::uint8_t* p = take(static_cast<std::uint64_t>(bytes));
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  std::string_view read_line() {
    constexpr std::size_t kMaxLine = 1024;
    const std::size_t start = pos_;
    while (pos_ < data_.size() && data_[pos_] != '\n') {
      if (pos_ - start > kMaxLine) fail("text argument longer than 1024 bytes");
      ++pos_;
    }
    if (pos_ >= data_.size()) fail("text argument without a newline (truncated)");
    return {reinterpret_cast<const char*>(data_.data() + start), pos_++ - start};
  }

  // ---- values and the stack --------------------------------------------------------------

  PickleValue* make(Kind kind) {
    if (tree_.values_.size() >= limits_.max_values) fail(str("more than ", limits_.max_values, " values (limit)"));
    PickleValue& v = tree_.values_.emplace_back();
    v.kind = kind;
    return &v;
  }
  void add_items(std::size_t count) {
    items_ += count;
    if (items_ > limits_.max_items) fail(str("more than ", limits_.max_items, " container elements (limit)"));
  }
  PickleValue* make_int(std::int64_t value) {
    PickleValue* v = make(Kind::Int);
    v->integer = value;
    return v;
  }
  void push(PickleValue* v) {
    if (stack_.size() >= limits_.max_stack) fail(str("stack deeper than ", limits_.max_stack, " values (limit)"));
    stack_.push_back(v);
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  PickleValue* pop() {
    if (stack_.size() <= floor()) fail("stack underflow (malformed pickle)");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleValue* top() {
    if (stack_.size() <= floor()) fail("stack underflow (malformed pickle)");
    return stack_.back();
  }
  // Values pushed since the last MARK, which is removed.
  std::vector<PickleValue*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to (malformed pickle)");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  PickleValue* expect(PickleValue* v, Kind kind, std::string_view role) {
    if (v->kind != kind)
      fail(str(role, " must be ", PickleValue::kind_name(kind), ", found ", PickleValue::kind_name(v->kind)));
    return v;
  }

  // ---- dicts -------------------------------------------------------------------------------

  // Python-hash-equal keys map to the same string (True == 1 == 1.0); unhashable keys fail.
  std::string canonical_key(const PickleValue* key, int depth = 0) {
    if (depth > 16) fail("dict key nested too deeply");
    switch (key->kind) {
      case Kind::None: return "N";
      case Kind::Bool: return str("I", key->boolean ? 1 : 0);
      case Kind::Int: return str("I", key->integer);
      case Kind::Float:
        if (std::floor(key->real) == key->real && std::fabs(key->real) < 9.2e18)
          return str("I", static_cast<std::int64_t>(key->real));
        {
          std::uint64_t bits = 0;
          std::memcpy(&bits, &key->real, sizeof bits);
          return str("F", bits);
        }
      case Kind::String: return str("S", key->text.size(), ":", key->text);
      case Kind::Bytes: return str("B", key->text.size(), ":", key->text);
      case Kind::Tuple: {
        std::string out = str("T", key->items.size(), "(");
        for (const PickleValue* item : key->items) {
          const std::string part = canonical_key(item, depth + 1);
          out += str(part.size(), ":", part);
        }
        return out + ")";
      }
      case Kind::Global: return str("G", key->text);
      default: fail(str("dict key must be hashable, found ", PickleValue::kind_name(key->kind)));
    }
  }
  void set_item(PickleValue* dict, PickleValue* key, PickleValue* value) {
    expect(dict, Kind::Dict, "the target of SETITEM(S)");
    auto& index = dict_keys_[dict];
    const auto [it, inserted] = index.emplace(canonical_key(key), dict->entries.size());
    if (inserted) {
      add_items(1);
      dict->entries.emplace_back(key, value);
    } else {
      dict->entries[it->second].second = value;
    }
  }

  // ---- globals, persistent ids and calls ---------------------------------------------------

  PickleValue* global(std::string_view module, std::string_view name) {
    if (const detail::WhitelistEntry* entry = detail::find_whitelisted(module, name)) {
      PickleValue* v = make(Kind::Global);
      v->text = str(module, ".", name);
      v->integer = static_cast<std::int64_t>(entry->known);
      v->dtype = entry->dtype;
      return v;
    }
    fail(str("pickle asks for ", display_name(str(module, ".", name)),
             ", which is not in the tensor-rebuild whitelist (refused; nothing was executed)"));
  }

  PickleValue* persistent_load(PickleValue* pid) {
    // torch.save: ("storage", storage type, key, location, numel).
    if (pid->kind != Kind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::String ||
        pid->items[0]->text != "storage")
      fail("persistent id is not a torch storage reference (\"storage\", type, key, location, numel)");
    const PickleValue* type = pid->items[1];
    if (type->kind != Kind::Global || static_cast<Known>(type->integer) != Known::StorageType)
      fail(str("storage type must be a torch storage class, found ", type->kind == Kind::Global ? type->text : PickleValue::kind_name(type->kind)));
    const PickleValue* key = expect(pid->items[2], Kind::String, "storage key");
    const PickleValue* location = expect(pid->items[3], Kind::String, "storage location");
    const PickleValue* numel = expect(pid->items[4], Kind::Int, "storage size");
    if (numel->integer < 0) fail(str("storage ", display_name(key->text), " has negative size ", numel->integer));
    if (const auto it = storage_by_key_.find(key->text); it != storage_by_key_.end()) {
      if (it->second->dtype != type->dtype || it->second->numel != numel->integer)
        fail(str("storage ", display_name(key->text), " is referenced with two different types or sizes"));
      return it->second;
    }
    PickleValue* storage = make(Kind::Storage);
    storage->text = key->text;
    storage->dtype = type->dtype;
    storage->numel = numel->integer;
    storage->location = location->text;
    storage_by_key_.emplace(storage->text, storage);
    tree_.storages_.push_back(storage);
    return storage;
  }

  Shape int_tuple(const PickleValue* v, std::string_view role) {
    if (v->kind != Kind::Tuple && v->kind != Kind::List) fail(str(role, " must be a tuple of ints"));
    Shape out;
    for (const PickleValue* item : v->items) {
      if (item->kind != Kind::Int || item->integer < 0) fail(str(role, " must hold non-negative ints"));
      out.push_back(item->integer);
    }
    return out;
  }

  PickleValue* rebuild_tensor(const std::vector<PickleValue*>& args) {
    const PickleValue* storage = expect(args[0], Kind::Storage, "the tensor's storage");
    const std::int64_t offset = expect(args[1], Kind::Int, "the storage offset")->integer;
    Shape shape = int_tuple(args[2], "the tensor size");
    Shape strides = int_tuple(args[3], "the tensor stride");
    if (offset < 0) fail(str("negative storage offset ", offset));
    if (strides.size() != shape.size())
      fail(str("size ", shape_string(shape), " and stride ", shape_string(strides), " differ in rank"));
    const auto numel = checked_numel(shape);
    if (!numel) fail(str("tensor size ", shape_string(shape), " is too large"));
    // Every element of the view must lie inside the storage.
    if (*numel > 0) {
      std::int64_t last = offset;
      for (std::size_t k = 0; k < shape.size(); ++k) {
        std::int64_t reach = 0;
        if (__builtin_mul_overflow(shape[k] - 1, strides[k], &reach) || __builtin_add_overflow(last, reach, &last))
          fail(str("tensor view ", shape_string(shape), " stride ", shape_string(strides), " overflows"));
      }
      if (last >= storage->numel)
        fail(str("tensor view (offset ", offset, ", size ", shape_string(shape), ", stride ", shape_string(strides),
                 ") reaches element ", last, " of storage ", display_name(storage->text), ", which holds ", storage->numel));
    }
    PickleValue* tensor = make(Kind::Tensor);
    tensor->storage = storage;
    tensor->storage_offset = offset;
    tensor->dtype = storage->dtype;
    tensor->numel = *numel;
    tensor->shape = std::move(shape);
    tensor->strides = std::move(strides);
    return tensor;
  }

  PickleValue* call(const PickleValue* callable, const PickleValue* arguments, int depth = 0) {
    if (callable->kind != Kind::Global) fail(str("REDUCE calls ", PickleValue::kind_name(callable->kind), ", not a whitelisted callable"));
    if (arguments->kind != Kind::Tuple) fail(str("REDUCE arguments must be a tuple, found ", PickleValue::kind_name(arguments->kind)));
    const std::vector<PickleValue*>& args = arguments->items;
    const auto need = [&](std::size_t low, std::size_t high) {
      if (args.size() < low || args.size() > high)
        fail(str(callable->text, " takes ", low == high ? str(low) : str(low, " to ", high), " arguments, got ", args.size()));
    };
    switch (static_cast<Known>(callable->integer)) {
      case Known::OrderedDict: {
        need(0, 1);
        PickleValue* dict = make(Kind::Dict);
        if (args.size() == 1) {
          expect(args[0], Kind::List, "OrderedDict's argument");
          for (PickleValue* pair : args[0]->items) {
            if ((pair->kind != Kind::Tuple && pair->kind != Kind::List) || pair->items.size() != 2)
              fail("OrderedDict's items must be (key, value) pairs");
            set_item(dict, pair->items[0], pair->items[1]);
          }
        }
        return dict;
      }
      case Known::RebuildTensorV2:
        need(6, 7);
        expect(args[4], Kind::Bool, "requires_grad");
        return rebuild_tensor(args);
      case Known::RebuildTensor:
        need(4, 4);
        return rebuild_tensor(args);
      case Known::RebuildParameter:
        need(3, 3);
        return expect(args[0], Kind::Tensor, "the parameter's data");
      case Known::RebuildParameterWithState:
        need(4, 4);
        return expect(args[0], Kind::Tensor, "the parameter's data");
      case Known::RebuildFromTypeV2: {
        // (func, type, args, state): func rebuilds a plain tensor, type is Tensor or Parameter.
        need(4, 4);
        if (args[1]->kind != Kind::Global || static_cast<Known>(args[1]->integer) != Known::TensorType)
          fail("_rebuild_from_type_v2 may only rebuild torch.Tensor or torch.nn.Parameter");
        if (depth > 0) fail("_rebuild_from_type_v2 may not nest");
        return expect(call(args[0], args[2], depth + 1), Kind::Tensor, "_rebuild_from_type_v2's result");
      }
      case Known::TorchSize: {
        need(1, 1);
        if (args[0]->kind != Kind::Tuple) fail("torch.Size's argument must be a tuple");
        return args[0];
      }
      case Known::CodecsEncode: {
        // Protocol 2 writes Python 3 bytes as _codecs.encode(text, "latin1"): pure data.
        need(2, 2);
        const PickleValue* text = expect(args[0], Kind::String, "_codecs.encode's text");
        const PickleValue* encoding = expect(args[1], Kind::String, "_codecs.encode's encoding");
        if (encoding->text != "latin1" && encoding->text != "latin-1") fail("_codecs.encode is allowed only with latin1");
        PickleValue* bytes = make(Kind::Bytes);
        for (std::size_t i = 0; i < text->text.size(); ++i) {
          const auto c = static_cast<unsigned char>(text->text[i]);
          if (c < 0x80) {
            bytes->text += static_cast<char>(c);
          } else if ((c == 0xc2 || c == 0xc3) && i + 1 < text->text.size()) {  // U+0080..U+00FF
            bytes->text += static_cast<char>(((c & 0x03u) << 6) | (static_cast<unsigned char>(text->text[++i]) & 0x3fu));
          } else {
            fail("_codecs.encode text is not latin1");
          }
        }
        return bytes;
      }
      case Known::StorageType:
      case Known::TensorType:
        fail(str("pickle calls ", callable->text, ", which the whitelist allows only as a type marker"));
    }
    fail(str("pickle calls ", callable->text, ", which is not a whitelisted callable"));
  }

  // ---- opcodes ---------------------------------------------------------------------------

  PickleValue* make_text(Kind kind, std::uint64_t length) {
    const std::uint8_t* p = take(length);
    PickleValue* v = make(kind);
    v->text.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(length));
    if (kind == Kind::String && !valid_utf8(v->text)) fail("string is not valid UTF-8");
    return v;
  }

  PickleValue* make_long(std::uint64_t length) {
    if (length > 8) fail(str("integer of ", length, " bytes does not fit in 64 bits"));
    const std::uint8_t* p = take(length);
    std::uint64_t bits = 0;
    for (std::uint64_t i = length; i-- > 0;) bits = (bits << 8) | p[i];
    if (length > 0 && length < 8 && (p[length - 1] & 0x80u)) bits |= ~std::uint64_t{0} << (8 * length);  // sign-extend
    return make_int(static_cast<std::int64_t>(bits));
  }

  std::int64_t parse_decimal(std::string_view text) {
    std::int64_t value = 0;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) fail(str("bad decimal integer \"", text.substr(0, 40), "\""));
    return value;
  }

  void memo_put(std::uint64_t index) {
    PickleValue* v = top();
    if (memo_.size() >= limits_.max_memo && memo_.find(index) == memo_.end())
      fail(str("more than ", limits_.max_memo, " memo entries (limit)"));
    memo_[index] = v;
  }
  void memo_get(std::uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail(str("memo entry ", index, " is not defined (malformed pickle)"));
    push(it->second);
  }

  PickleValue* make_sequence(Kind kind, std::vector<PickleValue*> items) {
    PickleValue* v = make(kind);
    add_items(items.size());
    v->items = std::move(items);
    return v;
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const std::uint64_t version = read_le(1);
        if (version > 5) fail(str("pickle protocol ", version, " is newer than 5"));
        return;
      }
      case 0x95: {  // FRAME: a length hint for buffered readers; the stream continues inside
        const std::uint64_t length = read_le(8);
        if (length > data_.size() - pos_) fail("frame runs past the end of the pickle (truncated)");
        return;
      }
      case '(':
        if (marks_.size() >= limits_.max_marks) fail(str("more than ", limits_.max_marks, " open MARKs (limit)"));
        marks_.push_back(stack_.size());
        return;
      case '0':
        if (!marks_.empty() && marks_.back() == stack_.size()) {
          marks_.pop_back();  // POP with a MARK on top discards the mark
          return;
        }
        pop();
        return;
      case '1': pop_mark(); return;
      case '2': push(top()); return;
      case 'N': push(make(Kind::None)); return;
      case 0x88:
      case 0x89: {
        PickleValue* v = make(Kind::Bool);
        v->boolean = op_ == 0x88;
        push(v);
        return;
      }
      case 'J': push(make_int(static_cast<std::int32_t>(static_cast<std::uint32_t>(read_le(4))))); return;
      case 'K': push(make_int(static_cast<std::int64_t>(read_le(1)))); return;
      case 'M': push(make_int(static_cast<std::int64_t>(read_le(2)))); return;
      case 0x8a: push(make_long(read_le(1))); return;
      case 0x8b: {
        const auto length = static_cast<std::int32_t>(static_cast<std::uint32_t>(read_le(4)));
        if (length < 0) fail("negative LONG4 length");
        push(make_long(static_cast<std::uint64_t>(length)));
        return;
      }
      case 'I': {  // protocol 0: "01"/"00" are True/False
        const std::string_view text = read_line();
        if (text == "01" || text == "00") {
          PickleValue* v = make(Kind::Bool);
          v->boolean = text == "01";
          push(v);
        } else {
          push(make_int(parse_decimal(text)));
        }
        return;
      }
      case 'L': {
        std::string_view text = read_line();
        if (!text.empty() && text.back() == 'L') text.remove_suffix(1);
        push(make_int(parse_decimal(text)));
        return;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const std::uint8_t* p = take(8);
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        PickleValue* v = make(Kind::Float);
        std::memcpy(&v->real, &bits, sizeof bits);
        push(v);
        return;
      }
      case 'F': {
        const std::string_view text = read_line();
        PickleValue* v = make(Kind::Float);
        const auto r = std::from_chars(text.data(), text.data() + text.size(), v->real);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size()) fail("bad float literal");
        push(v);
        return;
      }
      case 'X': push(make_text(Kind::String, read_le(4))); return;
      case 0x8c: push(make_text(Kind::String, read_le(1))); return;
      case 0x8d: push(make_text(Kind::String, read_le(8))); return;
      case 'T': {  // Python 2 str, decoded as UTF-8 (torch.load's encoding)
        const auto length = static_cast<std::int32_t>(static_cast<std::uint32_t>(read_le(4)));
        if (length < 0) fail("negative BINSTRING length");
        push(make_text(Kind::String, static_cast<std::uint64_t>(length)));
        return;
      }
      case 'U': push(make_text(Kind::String, read_le(1))); return;
      case 'B': push(make_text(Kind::Bytes, read_le(4))); return;
      case 'C': push(make_text(Kind::Bytes, read_le(1))); return;
      case 0x8e:
      case 0x96: push(make_text(Kind::Bytes, read_le(8))); return;
      case ']': push(make(Kind::List)); return;
      case ')': push(make(Kind::Tuple)); return;
      case '}': push(make(Kind::Dict)); return;
      case 'l': push(make_sequence(Kind::List, pop_mark())); return;
      case 't': push(make_sequence(Kind::Tuple, pop_mark())); return;
      case 0x85:
      case 0x86:
      case 0x87: {
        std::vector<PickleValue*> items(static_cast<std::size_t>(op_ - 0x84));
        for (std::size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(make_sequence(Kind::Tuple, std::move(items)));
        return;
      }
      case 'd': {
        const std::vector<PickleValue*> items = pop_mark();
        if (items.size() % 2 != 0) fail("odd number of values for DICT");
        PickleValue* dict = make(Kind::Dict);
        for (std::size_t i = 0; i < items.size(); i += 2) set_item(dict, items[i], items[i + 1]);
        push(dict);
        return;
      }
      case 's': {
        PickleValue* value = pop();
        PickleValue* key = pop();
        set_item(top(), key, value);
        return;
      }
      case 'u': {
        const std::vector<PickleValue*> items = pop_mark();
        if (items.size() % 2 != 0) fail("odd number of values for SETITEMS");
        PickleValue* dict = top();
        for (std::size_t i = 0; i < items.size(); i += 2) set_item(dict, items[i], items[i + 1]);
        return;
      }
      case 'a': {
        PickleValue* value = pop();
        PickleValue* list = expect(top(), Kind::List, "the target of APPEND");
        add_items(1);
        list->items.push_back(value);
        return;
      }
      case 'e': {
        const std::vector<PickleValue*> items = pop_mark();
        PickleValue* list = expect(top(), Kind::List, "the target of APPENDS");
        add_items(items.size());
        list->items.insert(list->items.end(), items.begin(), items.end());
        return;
      }
      case 'p': memo_put(static_cast<std::uint64_t>(parse_decimal(read_line()))); return;
      case 'q': memo_put(read_le(1)); return;
      case 'r': memo_put(read_le(4)); return;
      case 0x94: memo_put(memo_.size()); return;
      case 'g': memo_get(static_cast<std::uint64_t>(parse_decimal(read_line()))); return;
      case 'h': memo_get(read_le(1)); return;
      case 'j': memo_get(read_le(4)); return;
      case 'c': {
        const std::string module(read_line());
        const std::string name(read_line());
        push(global(module, name));
        return;
      }
      case 0x93: {
        PickleValue* name = expect(pop(), Kind::String, "STACK_GLOBAL's name");
        PickleValue* module = expect(pop(), Kind::String, "STACK_GLOBAL's module");
        push(global(module->text, name->text));
        return;
      }
      case 'Q': push(persistent_load(pop())); return;
      case 'R': {
        PickleValue* arguments = pop();
        PickleValue* callable = pop();
        push(call(callable, arguments));
        return;
      }
      case 'b': {
        // BUILD sets an object's state. torch.save uses it for the _metadata attribute of a
        // state dict (an OrderedDict); attributes carry no tensors coact needs, so a dict
        // accepts and drops them. Anything else would mean a custom object.
        PickleValue* state = pop();
        PickleValue* target = top();
        if (target->kind != Kind::Dict) fail(str("BUILD on ", PickleValue::kind_name(target->kind), " is not supported"));
        if (state->kind != Kind::Dict && state->kind != Kind::None && state->kind != Kind::Tuple)
          fail(str("BUILD state must be a dict, found ", PickleValue::kind_name(state->kind)));
        return;
      }
      case 'i': {  // INST imports and instantiates a class: name it in the refusal
        const std::string module(read_line());
        const std::string name(read_line());
        global(module, name);
        fail(str("INST (instantiating ", display_name(module + "." + name), ") is not supported"));
      }
      default: {
        const char* name = opcode_name(op_);
        if (name == nullptr) fail("unknown pickle opcode");
        // NEWOBJ/NEWOBJ_EX/OBJ create arbitrary objects, EXT* use the extension registry,
        // PERSID/STRING/UNICODE are protocol 0 text forms torch.save never writes, sets and
        // out-of-band buffers do not occur in state dicts.
        fail(str("pickle opcode ", name, " is not supported by the restricted unpickler"));
      }
    }
  }
};

PickleTree unpickle_restricted(std::span<const std::uint8_t> pickle, const std::string& context, const PickleLimits& limits) {
  return Unpickler(pickle, context, limits).run();
}

const PickleValue* PickleValue::get(std::string_view key) const {
  if (kind != Kind::Dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k->kind == Kind::String && k->text == key) return v;
  return nullptr;
}

const char* PickleValue::kind_name(Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int: return "an int";
    case Kind::Float: return "a float";
    case Kind::String: return "a str";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "a list";
    case Kind::Tuple: return "a tuple";
    case Kind::Dict: return "a dict";
    case Kind::Global: return "a global";
    case Kind::Storage: return "a storage";
    case Kind::Tensor: return "a tensor";
  }
  return "?";
}

}  // namespace coact::io
