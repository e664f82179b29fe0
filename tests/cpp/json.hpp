// A small JSON reader for the test fixtures (golden files), so the suite needs no JSON library.
//
// Strict enough for files we generate ourselves: objects, arrays, strings (with the standard
// escapes; \u is kept for the Basic Multilingual Plane only), numbers, true/false/null. It never
// throws: parse() returns false with a message that names the byte offset. Numbers are read with
// strtod, so an input written as the exact decimal of a float32 comes back as that float exactly.
#pragma once

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace attnlab_test {

struct Json {
  enum Type { null, boolean, number, string, array, object };
  Type type = null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> items;                            // array
  std::vector<std::pair<std::string, Json>> members;  // object, in file order

  // Member lookup; nullptr when absent or when this is not an object.
  const Json* get(const std::string& key) const {
    if (type != object) return nullptr;
    for (const auto& m : members)
      if (m.first == key) return &m.second;
    return nullptr;
  }
  std::vector<double> numbers() const {
    std::vector<double> out;
    for (const auto& x : items) out.push_back(x.num);
    return out;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  bool parse(Json* out, std::string* error) {
    pos_ = 0;
    err_.clear();
    bool ok = value(out, 0);
    if (ok) {
      ws();
      if (pos_ != s_.size()) ok = fail("trailing characters");
    }
    if (!ok && error) *error = err_;
    return ok;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool fail(const std::string& what) {
    if (err_.empty()) err_ = what + " at byte " + std::to_string(pos_);
    return false;
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (s_.compare(pos_, w.size(), w) != 0) return fail("unexpected token");
    pos_ += w.size();
    return true;
  }

  bool value(Json* v, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    ws();
    if (pos_ >= s_.size()) return fail("unexpected end");
    const char c = s_[pos_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v->type = Json::string;
      return string(&v->str);
    }
    if (c == 't') {
      v->type = Json::boolean;
      v->b = true;
      return literal("true");
    }
    if (c == 'f') {
      v->type = Json::boolean;
      v->b = false;
      return literal("false");
    }
    if (c == 'n') {
      v->type = Json::null;
      return literal("null");
    }
    return number(v);
  }

  bool number(Json* v) {
    // JSON's grammar is a subset of strtod's; check the characters so "nan"/"inf"/hex are refused.
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '\0' && std::strchr("+-0123456789.eE", s_[pos_])) ++pos_;
    if (pos_ == start) return fail("unexpected character");
    const std::string text = s_.substr(start, pos_ - start);
    char* end = nullptr;
    v->type = Json::number;
    v->num = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) {
      pos_ = start;
      return fail("bad number '" + text + "'");
    }
    return true;
  }

  bool string(std::string* out) {
    ++pos_;  // opening quote
    out->clear();
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      const char e = s_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return fail("short \\u escape");
          const unsigned long cp = std::strtoul(s_.substr(pos_, 4).c_str(), nullptr, 16);
          pos_ += 4;
          // UTF-8 encode (surrogate pairs are not needed by our fixtures and are kept as-is)
          if (cp < 0x80) {
            *out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            *out += static_cast<char>(0xC0 | (cp >> 6));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            *out += static_cast<char>(0xE0 | (cp >> 12));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }

  bool array(Json* v, int depth) {
    v->type = Json::array;
    ++pos_;
    ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      v->items.emplace_back();
      if (!value(&v->items.back(), depth + 1)) return false;
      ws();
      if (pos_ >= s_.size()) return fail("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool object(Json* v, int depth) {
    v->type = Json::object;
    ++pos_;
    ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a member name");
      std::string key;
      if (!string(&key)) return false;
      ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      v->members.emplace_back(key, Json());
      if (!value(&v->members.back().second, depth + 1)) return false;
      ws();
      if (pos_ >= s_.size()) return fail("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  std::string s_;
  size_t pos_ = 0;
  std::string err_;
};

// Reads and parses a whole file (an absolute path, so it also works under Node's NODERAWFS).
inline bool read_json_file(const std::string& path, Json* out, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot open " + path;
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::string why;
  if (!JsonParser(text).parse(out, &why)) {
    *error = path + ": " + why;
    return false;
  }
  return true;
}

}  // namespace attnlab_test
