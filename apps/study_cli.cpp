#include "study_cli.h"

#include <string>

#include "coact/core/errors.h"

namespace coact::app {

void add_study_flags(CommandLine& cli) {
  cli.options().add_options()
      ("out,o", po::value<std::string>()->value_name("DIR"), "output directory (overrides `out` in the configuration file)");
  cli.add_compute_flags();
  cli.config_is_study();
  for (const auto& section : pipeline::study_sections())
    if (!section.name.empty()) cli.add_fields(section.fields, section.name + ".", section.caption);
}

pipeline::Study load_study_from(const CommandLine& cli, const Invocation& invocation) {
  if (!cli.has("config"))
    throw UsageError(str("coact ", cli.name(), " needs --config FILE describing the study (see jobs/configs/demo.ini)"));
  // The command line wins over the file: --out, --device, --threads and every --section.key.
  pipeline::StudyTexts overrides;
  if (cli.has("out")) overrides[""]["out"] = cli.out();
  if (cli.given("device")) overrides[""]["device"] = cli.device();
  if (cli.has("threads")) overrides[""]["threads"] = std::to_string(cli.get<int>("threads"));
  for (const auto& section : pipeline::study_sections())
    for (const auto& field : section.fields)
      if (!section.name.empty() && cli.has(section.name + "." + field.spec.name))
        overrides[section.name][field.spec.name] = cli.get<std::string>(section.name + "." + field.spec.name);
  return pipeline::load_study(cli.get<std::string>("config"), overrides, cli.command_line(invocation));
}

}  // namespace coact::app
