#include "coact/compare/comparison_check.h"

#include <cmath>
#include <vector>

#include "coact/core/errors.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"

namespace coact::compare {
namespace {

[[noreturn]] void bad_attribute(const std::string& where, const std::string& name, const std::string& what) {
  throw InputError(str(where, ": attribute '", name, "' ", what));
}

std::string pair_group(std::int64_t i, std::int64_t j) { return str("/pairs/", i, "_", j); }

// Cosines are within [-1, 1] up to float rounding.
constexpr double kCosineSlack = 1e-5;

// The per-pair datasets: name and whether it exists only with activation matching.
struct PairDataset {
  const char* name;
  bool activations_only;
};
constexpr PairDataset kPairDatasets[] = {{"matching", false},
                                         {"decoder_cosine", false},
                                         {"encoder_cosine", false},
                                         {"shared", false},
                                         {"activation_correlation", true}};

}  // namespace

void require_consistent_comparison_attributes(const io::File& file) {
  const auto a = file.attributes();
  const std::string root = file.path() + ":/";
  const std::int64_t count = a.get_int("n_saes");
  if (count < 2) bad_attribute(root, "n_saes", str("is ", count, ", expected at least 2"));
  const double threshold = a.get_double("threshold");
  if (!(threshold >= -1.0 && threshold <= 1.0)) bad_attribute(root, "threshold", str("is ", threshold, ", expected a value in [-1, 1]"));
  const std::string match = a.get_string_or("match", "decoder");
  if (match != "decoder" && match != "activations")
    bad_attribute(root, "match", str("is '", match, "', expected decoder or activations"));
  const std::string method = a.get_string_or("method", "exact");
  if (method != "exact" && method != "greedy") bad_attribute(root, "method", str("is '", method, "', expected exact or greedy"));
  const std::int64_t truth = a.get_int("ground_truth");
  if (truth != 0 && truth != 1) bad_attribute(root, "ground_truth", str("is ", truth, ", expected 0 or 1"));

  std::vector<std::int64_t> features(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::string group = str("/saes/", i);
    if (!file.has(group)) throw InputError(str(file.path(), ": missing group ", group, " (n_saes is ", count, ")"));
    const auto g = file.group_attributes(group);
    const std::string where = file.path() + ":" + group;
    for (const char* name : {"d_in", "n_features"})
      if (g.get_int(name) < 1) bad_attribute(where, name, str("is ", g.get_int(name), ", expected at least 1"));
    features[static_cast<std::size_t>(i)] = g.get_int("n_features");
    if (g.has("graph_nodes") && g.get_double("graph_nodes") != static_cast<double>(features[static_cast<std::size_t>(i)]))
      bad_attribute(where, "graph_nodes", str("is ", g.get_double("graph_nodes"), " but the SAE has n_features ",
                                              features[static_cast<std::size_t>(i)], " (one node per feature)"));
  }
  for (std::int64_t i = 0; i < count; ++i)
    for (std::int64_t j = i + 1; j < count; ++j) {
      const std::string group = pair_group(i, j);
      if (!file.has(group)) throw InputError(str(file.path(), ": missing group ", group));
      const auto g = file.group_attributes(group);
      const std::string where = file.path() + ":" + group;
      if (g.get_int("first") != i) bad_attribute(where, "first", str("is ", g.get_int("first"), ", expected ", i));
      if (g.get_int("second") != j) bad_attribute(where, "second", str("is ", g.get_int("second"), ", expected ", j));
      const double shared = g.get_double("shared_fraction");
      if (!(shared >= 0.0 && shared <= 1.0)) bad_attribute(where, "shared_fraction", str("is ", shared, ", expected [0, 1]"));
      const std::string pair_match = g.get_string_or("match", match);
      const std::int64_t n1 = features[static_cast<std::size_t>(i)];
      for (const auto& [name, activations_only] : kPairDatasets) {
        const std::string dataset_name = group + "/" + name;
        if (activations_only && pair_match != "activations") continue;
        const io::Dataset dataset = file.dataset(dataset_name);
        if (dataset.shape() != io::Shape{n1})
          throw InputError(str(dataset.where(), ": shape ", io::shape_string(dataset.shape()), ", expected [", n1,
                               "] (n_features of SAE ", i, ")"));
      }
    }
}

ComparisonSummary describe_comparison(const std::string& path) {
  ComparisonSummary summary;
  summary.file = read_comparison(path);  // checks the kind and require_consistent_comparison_attributes
  const io::File file = io::File::open(path);
  summary.method = file.attributes().get_string_or("method", "exact");
  return summary;
}

ComparisonCheckReport check_comparison(const std::string& path) {
  const ComparisonSummary summary = describe_comparison(path);
  const ComparisonFile& c = summary.file;
  const io::File file = io::File::open(path);
  const auto count = static_cast<std::int64_t>(c.saes.size());
  ComparisonCheckReport report;
  for (const ComparedPair& p : c.pairs) {
    const std::string group = pair_group(p.first, p.second);
    const ComparedSae& first = c.saes[static_cast<std::size_t>(p.first)];
    const ComparedSae& second = c.saes[static_cast<std::size_t>(p.second)];
    const std::int64_t n1 = first.n_features, n2 = second.n_features;
    const std::string pair_match = file.group_attributes(group).get_string_or("match", c.match);

    const auto matching = file.dataset(group + "/matching").read_all<std::int64_t>();
    std::vector<std::uint8_t> taken(static_cast<std::size_t>(n2), 0);
    for (std::size_t f = 0; f < matching.size(); ++f) {
      const std::int64_t m = matching[f];
      if (m < 0 || m >= n2)
        throw InputError(str(path, ":", group, "/matching: feature ", f, " is matched to ", m, ", outside [0, ", n2, ")"));
      if (taken[static_cast<std::size_t>(m)]++)
        throw InputError(str(path, ":", group, "/matching: feature ", m, " of SAE ", p.second, " is matched twice (feature ", f,
                             " again); a matching is one-to-one"));
    }
    // Cosines exist when both SAEs read activations of one width; NaN otherwise.
    const bool same_width = first.d_in == second.d_in;
    for (const char* name : {"decoder_cosine", "encoder_cosine"}) {
      const auto values = file.dataset(group + "/" + name).read_all<float>();
      for (std::size_t f = 0; f < values.size(); ++f) {
        const float v = values[f];
        const bool ok = same_width ? std::fabs(v) <= 1.0 + kCosineSlack : std::isnan(v);
        if (!ok)
          throw InputError(str(path, ":", group, "/", name, ": feature ", f, " has ", v, ", expected ",
                               same_width ? "a cosine in [-1, 1]" : "NaN (the SAEs' widths differ)"));
      }
    }
    const auto shared = file.dataset(group + "/shared").read_all<std::uint8_t>();
    const auto similarity = file.dataset(group + (pair_match == "activations" ? "/activation_correlation" : "/decoder_cosine"))
                                .read_all<float>();
    std::int64_t shared_count = 0;
    for (std::size_t f = 0; f < shared.size(); ++f) {
      const bool expected = similarity[f] >= c.threshold;
      if (shared[f] > 1 || (shared[f] == 1) != expected)
        throw InputError(str(path, ":", group, "/shared: feature ", f, " is ", int{shared[f]}, " but its similarity ",
                             similarity[f], expected ? " reaches" : " is below", " the threshold ", c.threshold));
      shared_count += shared[f];
    }
    const double fraction = n1 ? static_cast<double>(shared_count) / static_cast<double>(n1) : 0.0;
    if (p.values.shared_fraction != fraction)
      throw InputError(str(path, ":", group, ": attribute 'shared_fraction' is ", p.values.shared_fraction, " but ",
                           shared_count, " of ", n1, " features are shared"));
    if (std::fabs(p.values.shared_features - fraction * static_cast<double>(n1)) > 1e-6)
      throw InputError(str(path, ":", group, ": attribute 'shared_features' is ", p.values.shared_features, " but ",
                           shared_count, " features are shared"));
    report.matched_features += n1;
    ++report.pairs;
  }
  // Every summary matrix repeats the pair values, symmetric, NaN on the diagonal.
  for (const auto& name : file.list("/summary")) {
    const io::Dataset dataset = file.dataset("/summary/" + name);
    const PairSummaryField* field = find_pair_summary_field(name);
    if (!field) throw InputError(str(dataset.where(), ": not a number a pair of SAEs carries"));
    if (dataset.shape() != io::Shape{count, count})
      throw InputError(str(dataset.where(), ": shape ", io::shape_string(dataset.shape()), ", expected [", count, ", ", count, "]"));
    const auto values = dataset.read_all<double>();
    for (std::int64_t i = 0; i < count; ++i)
      if (!std::isnan(values[static_cast<std::size_t>(i * count + i)]))
        throw InputError(str(dataset.where(), ": diagonal entry ", i, " is ", values[static_cast<std::size_t>(i * count + i)],
                             ", expected NaN"));
    for (const ComparedPair& p : c.pairs) {
      const double expected = field->get(p.values).value_or(std::nan(""));
      for (const auto& [a, b] : {std::pair{p.first, p.second}, std::pair{p.second, p.first}}) {
        const double stored = values[static_cast<std::size_t>(a * count + b)];
        if (!(stored == expected || (std::isnan(stored) && std::isnan(expected))))
          throw InputError(str(dataset.where(), ": entry [", a, ", ", b, "] is ", stored, " but ", pair_group(p.first, p.second),
                               " has ", name, " = ", expected));
      }
    }
    report.summary_values += count * count;
  }
  return report;
}

}  // namespace coact::compare
