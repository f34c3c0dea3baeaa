// warden: the command-line entry point. Each subcommand lives in its own cmd_*.cc file; this
// file only assembles them and turns errors into messages and exit codes:
//   0 success, 1 error (bad input, failed operation), 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli.h"
#include "warden/engine/blas_kernel.h"
#include "warden/base/status.h"

int main(int argc, char** argv) {
  warden::engine::ReexecWithBestBlasCore(argv);
  CLI::App app{"warden: an executable frontier-AI safety programme"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "warden 0.1.0");
  warden::cli::RegisterGenerate(app);
  warden::cli::RegisterTokenize(app);
  warden::cli::RegisterModel(app);
  warden::cli::RegisterCache(app);
  warden::cli::RegisterHooks(app);
  warden::cli::RegisterTrain(app);
  warden::cli::RegisterOrganisms(app);
  warden::cli::RegisterEval(app);
  warden::cli::RegisterActs(app);
  warden::cli::RegisterProbe(app);
  warden::cli::RegisterCcs(app);
  warden::cli::RegisterSteer(app);
  warden::cli::RegisterSae(app);
  warden::cli::RegisterPatch(app);
  warden::cli::RegisterForecast(app);
  warden::cli::RegisterPolicy(app);
  warden::cli::RegisterAssess(app);
  warden::cli::RegisterCase(app);
  warden::cli::RegisterServe(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const warden::cli::ExitWith& e) {
    return e.code;
  } catch (const warden::Error& e) {
    std::cerr << "warden: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "warden: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
