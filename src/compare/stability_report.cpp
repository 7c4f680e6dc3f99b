// The "Stability across seeds" section of report.md (and of the HTML report's tables).
#include <cmath>

#include "coact/compare/stability.h"
#include "coact/core/markdown.h"
#include "coact/core/strings.h"

namespace coact::compare {

namespace {

std::string pct(double x) { return std::isfinite(x) ? fixed_with_commas(100.0 * x, 1) + "%" : "n/a"; }
std::string num(double x, int decimals = 3) { return std::isfinite(x) ? fixed_with_commas(x, decimals) : "n/a"; }

}  // namespace

std::string stability_markdown(const Stability& st, const std::vector<std::int64_t>& seeds) {
  const auto name = [&](std::size_t i) { return i < seeds.size() ? str("seed ", seeds[i]) : str("SAE ", i); };
  const std::size_t t_main = st.threshold_index;
  std::string out = "## Stability across seeds\n\n";
  out += str("How many features come back in other seeds. PW-MCC is the pairwise mean max cosine: each feature's best\n"
             "decoder cosine in the other SAE, averaged over both SAEs. At each threshold t: the share of matched pairs\n"
             "whose decoder cosine is at least t, then the share of features whose *best* cosine in the other SAE is at\n"
             "least t, and in parentheses the same best-cosine share under the null model, which compares each SAE with a\n"
             "random rotation of the other (same geometry, no alignment): an upper bound of what a matching could reach\n"
             "by chance.\n\n");
  {
    std::vector<std::string> header{"Pair", "PW-MCC (null)"};
    for (const double t : st.thresholds) header.push_back(str("At ", num(t, 2), ": matched / best (null)"));
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : st.pairs) {
      std::vector<std::string> row{str(name(p.first), " vs ", name(p.second)), str(num(p.pw_mcc), " (", num(p.null_pw_mcc), ")")};
      for (std::size_t t = 0; t < st.thresholds.size(); ++t)
        row.push_back(str(pct(p.shared_fraction_at[t]), " / ", pct(p.max_fraction_at[t]), " (", pct(p.null_max_fraction_at[t]), ")"));
      rows.push_back(std::move(row));
    }
    out += markdown_table(header, rows) + "\n";
  }
  const std::size_t others = st.saes > 0 ? st.saes - 1 : 0;
  out += str("Per feature: in how many of the ", others, " other seeds its matched decoder cosine reaches ", num(st.threshold, 2),
             "; then by its best cosine in each other SAE, and in parentheses by its best cosine against the rotated\n"
             "other SAEs (the null).\n\n");
  {
    std::vector<std::string> header{"SAE"};
    for (std::size_t c = 0; c <= others; ++c) header.push_back(str("In ", c, c == others ? " (all)" : "", ": matched / best (null)"));
    header.push_back("Mean matched cosine");
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < st.per_sae.size(); ++i) {
      const SaeStability& x = st.per_sae[i];
      const double n = static_cast<double>(x.mean_matched_cosine.size());
      std::vector<std::string> row{name(i)};
      for (std::size_t c = 0; c <= others; ++c)
        row.push_back(str(pct(static_cast<double>(x.count_histogram[t_main * st.saes + c]) / n), " / ",
                          pct(static_cast<double>(x.best_count_histogram[t_main * st.saes + c]) / n), " (",
                          pct(static_cast<double>(x.null_count_histogram[t_main * st.saes + c]) / n), ")"));
      double sum = 0;
      std::int64_t matched = 0;
      for (const float c : x.mean_matched_cosine)
        if (!std::isnan(c)) {
          sum += c;
          ++matched;
        }
      row.push_back(num(matched ? sum / static_cast<double>(matched) : std::nan("")));
      rows.push_back(std::move(row));
    }
    out += markdown_table(header, rows) + "\n";
  }
  out += str("Stable features (matched at ", num(st.threshold, 2), " in every other seed) against unstable ones (in none):\n"
             "frequency, degree and clustering in the feature's own graph, and the size of its community.\n\n");
  {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < st.per_sae.size(); ++i)
      for (const auto& g : st.per_sae[i].groups)
        rows.push_back({name(i), g.name, with_commas(g.features), num(g.median_frequency, 5), num(g.median_degree, 1),
                        num(g.mean_clustering), pct(g.isolated_fraction),
                        str(num(g.median_community_size, 1), " (", st.per_sae[i].community_source, ")"), with_commas(g.communities)});
    out += markdown_table({"SAE", "Group", "Features", "Median frequency", "Median degree", "Mean clustering", "Isolated",
                           "Median community size", "Communities"},
                          rows) +
           "\n";
  }
  return out;
}

}  // namespace coact::compare
