"""The default test suite imports only what a fresh Debian 12 machine has after
tools/install-deps.sh: a default test that needs a module from PyPI, or from a Debian package
the script does not install, passes where someone installed it by hand and fails on a new
machine (CI's, a developer's). Such tests belong under the `peers` label.

What is checked: the default tests are those `ctest --show-only=json-v1` lists with no label
matching tools/test.sh's exclusion (peers|slurm|long). Their Python files are every .py of the
source tree on a test's command line, the scripts coact itself runs (a "<name>.py" of tools/
named in src/ or apps/), and, recursively, the project modules those import (a module that
lives beside the importing file, in tools/, or once anywhere under tests/ or fuzz/). Every
import statement in them counts, wherever it stands: in a function, under `if`, or in a
try/except (an optional import of a missing package hides the missing dependency and is a
failure too); so do __import__("x") and importlib.import_module("x").

The rule for each imported top-level module that is not the project's own: the interpreter
the tests run with (COACT_PYTHON) must find it, as a built-in or frozen module or in a file
that a Debian package owns (dpkg -S), and that package must be installed on every machine the
script prepares: one of `tools/install-deps.sh --print`, or a package those depend on,
recursively, through Depends and Pre-Depends (the script installs with
--no-install-recommends, so Recommends and Suggests do not count). Of alternatives
("a | b"), apt takes the first, so only the first counts (or, when it is not installed here,
the installed one that stands in for it); a virtual package counts through the installed
packages that provide it. The standard library passes by the same rule (python3 depends on
libpython3.11-stdlib), while the parts Debian ships apart (tkinter, distutils, venv) fail
unless listed.

Usage: default_imports_test.py path/to/ctest BUILD_DIR
"""
import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

SOURCE = os.path.realpath(os.environ.get("COACT_SOURCE_DIR",
                                         os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))
CTEST, BUILD = sys.argv[1], sys.argv[2]
PROJECT_MODULE_DIRS = ("tools", "tests", "fuzz")  # folders whose .py files are the project's modules


def rel(path):
    return os.path.relpath(path, SOURCE)


# ---- which tests and files --------------------------------------------------------------------

def excluded_labels_pattern():
    """The label regex tools/test.sh leaves out of the default run (its -LE default)."""
    with open(os.path.join(SOURCE, "tools", "test.sh")) as f:
        found = re.search(r'COACT_TEST_EXCLUDE:-([^}"]+)\}', f.read())
    if not found:
        raise AssertionError("tools/test.sh: no ${COACT_TEST_EXCLUDE:-...} default found to read the excluded labels from")
    return found.group(1)


def default_tests():
    """{test name: [the source tree's .py files on its command line]} for the default suite."""
    listing = subprocess.run([CTEST, "--test-dir", BUILD, "--show-only=json-v1"], capture_output=True, text=True,
                             check=True)
    exclude = re.compile(excluded_labels_pattern())
    tests = {}
    for test in json.loads(listing.stdout)["tests"]:
        labels = next((p["value"] for p in test.get("properties", []) if p["name"] == "LABELS"), [])
        if any(exclude.search(label) for label in labels):
            continue
        scripts = [os.path.realpath(arg) for arg in test.get("command", []) if arg.endswith(".py")]
        tests[test["name"]] = [s for s in scripts if s.startswith(SOURCE + os.sep) and os.path.isfile(s)]
    return tests


def scripts_coact_runs():
    """tools/*.py that coact's own sources name (the report's plot scripts): every default
    test that runs the command runs them."""
    found = {}
    for folder in ("src", "apps"):
        for root, _, files in os.walk(os.path.join(SOURCE, folder)):
            for name in sorted(files):
                if not name.endswith((".cpp", ".h")):
                    continue
                path = os.path.join(root, name)
                with open(path, errors="replace") as f:
                    for script in re.findall(r'"([A-Za-z0-9_]+\.py)"', f.read()):
                        target = os.path.join(SOURCE, "tools", script)
                        if os.path.isfile(target):
                            found.setdefault(target, rel(path))
    return found


class ProjectModules:
    """Resolves an import to a project module: beside the importing file, in tools/, or the one
    file of that name under tests/ or fuzz/ (the folders tests put on sys.path)."""

    def __init__(self):
        self.by_name = {}
        for folder in PROJECT_MODULE_DIRS:
            for root, dirs, files in os.walk(os.path.join(SOURCE, folder)):
                dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
                for name in files:
                    if name.endswith(".py"):
                        self.by_name.setdefault(name[:-3], []).append(os.path.join(root, name))

    def resolve(self, module, importer):
        beside = os.path.join(os.path.dirname(importer), module + ".py")
        if os.path.isfile(beside):
            return beside
        in_tools = os.path.join(SOURCE, "tools", module + ".py")
        if os.path.isfile(in_tools):
            return in_tools
        candidates = self.by_name.get(module, [])
        return candidates[0] if len(candidates) == 1 else None


def imports_of(path):
    """[(line, top-level module)] of every import in the file, wherever it stands."""
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), filename=path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            dynamic = (isinstance(func, ast.Name) and func.id == "__import__") or \
                (isinstance(func, ast.Attribute) and func.attr == "import_module"
                 and isinstance(func.value, ast.Name) and func.value.id == "importlib")
            if dynamic:
                found.append((node.lineno, node.args[0].value.split(".")[0]))
    return sorted(set(found))


def walk_files(roots, modules):
    """{file: (via, [(line, module)])} for the roots and the project modules they reach, with
    `via` the chain of files that led there; a project import is followed, not listed."""
    reached, queue = {}, [(path, (path,)) for path in roots]
    while queue:
        path, via = queue.pop(0)
        if path in reached:
            continue
        external = []
        for line, module in imports_of(path):
            local = modules.resolve(module, path)
            if local is None:
                external.append((line, module))
            elif local not in reached:
                queue.append((local, via + (local,)))
        reached[path] = (via, external)
    return reached


# ---- which packages ---------------------------------------------------------------------------

def default_packages():
    out = subprocess.run([os.path.join(SOURCE, "tools", "install-deps.sh"), "--print"], capture_output=True,
                         text=True, check=True).stdout.split()
    if not out:
        raise AssertionError("tools/install-deps.sh --print listed no packages")
    return out


def installed_packages():
    """{package: (Depends, Pre-Depends)} and {virtual name: [providers]} of installed packages."""
    fields = "${Package}\\t${db:Status-Abbrev}\\t${Provides}\\t${Depends}\\t${Pre-Depends}\\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fields], capture_output=True, text=True, check=True).stdout
    packages, provided = {}, {}
    for line in out.splitlines():
        name, status, provides, depends, pre_depends = (line.split("\t") + [""] * 5)[:5]
        if not status.startswith("ii"):
            continue
        packages[name] = (depends, pre_depends)
        for virtual in relation_names(provides):
            provided.setdefault(virtual, []).append(name)
    return packages, provided


def relation_names(field):
    """Package names of a Provides field (versions and architecture qualifiers dropped)."""
    return [re.sub(r"\s*\(.*?\)|:\S+", "", alt).strip() for alt in field.split(",") if alt.strip()]


def guaranteed_packages(wanted, packages, provided):
    """The packages wanted and, recursively, what they Depend or Pre-Depend on."""
    def installed(name):
        if name in packages:
            return [name]
        return provided.get(name, [])

    closure, queue = set(), list(wanted)
    while queue:
        name = queue.pop()
        for real in installed(name):
            if real in closure:
                continue
            closure.add(real)
            for field in packages[real]:
                for group in field.split(","):
                    alternatives = [relation_names(alt)[0] for alt in group.split("|") if alt.strip()]
                    if not alternatives:
                        continue
                    chosen = alternatives[0] if installed(alternatives[0]) else \
                        next((alt for alt in alternatives if installed(alt)), alternatives[0])
                    queue.append(chosen)
    return closure


def owners(paths):
    """{path: [owning packages]} by dpkg -S; a path no package owns is left out."""
    if not paths:
        return {}
    out = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        if line.startswith("diversion by"):
            continue
        names, sep, path = line.partition(": ")
        if sep and path in paths:
            found[path] = [n.strip().split(":")[0] for n in names.split(",")]
    return found


def module_location(module):
    """'builtin' for a module compiled into the interpreter (or frozen), the file or folder that
    provides it, or None where the interpreter finds no such module."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin in ("built-in", "frozen"):
        return "builtin"
    if spec.origin:
        return spec.origin
    locations = list(spec.submodule_search_locations or [])
    return locations[0] if locations else None


def check_files(reached, users, allowed):
    """One line per import that breaks the rule (see the module docstring)."""
    modules = sorted({module for _, external in reached.values() for _, module in external})
    location = {m: module_location(m) for m in modules}
    paths = sorted({p for p in location.values() if p not in (None, "builtin")})
    owned = owners(paths)
    # dpkg records paths as installed; one reached through a symbolic link is asked again.
    real = {p: os.path.realpath(p) for p in paths if p not in owned and os.path.realpath(p) != p}
    for path, packages in owners(sorted(real.values())).items():
        owned.update({p: packages for p, r in real.items() if r == path})
    problems = []
    for path in sorted(reached):
        via, external = reached[path]
        chain = "" if len(via) == 1 else " (reached through " + " -> ".join(rel(v) for v in via[:-1]) + ")"
        for line, module in external:
            kind = "standard-library" if module in sys.stdlib_module_names else "third-party"
            where = location[module]
            if where == "builtin":
                continue
            if where is None:
                problem = "is not installed: no package provides it for this interpreter"
            elif where not in owned:
                problem = f"comes from {where}, which no Debian package owns (installed by hand)"
            elif not set(owned[where]) & allowed:
                problem = (f"comes from the Debian package {', '.join(owned[where])}, which tools/install-deps.sh "
                           "does not install: not in its default list, nor a dependency of a package in it")
            else:
                continue
            problems.append(f"{', '.join(sorted(users[path]))}: {rel(path)}:{line}: imports {kind} module "
                            f"{module}, which {problem}{chain}")
    return problems


# ---- the tests ---------------------------------------------------------------------------------

class DefaultImports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.allowed = guaranteed_packages(default_packages(), *installed_packages())
        cls.modules = ProjectModules()

    def reach(self, roots_by_user):
        """walk_files over {user: [root files]}, and {file: users} for the messages."""
        roots = sorted({path for paths in roots_by_user.values() for path in paths})
        reached = walk_files(roots, self.modules)
        users = {path: set() for path in reached}
        for user, paths in roots_by_user.items():
            for path, (via, _) in walk_files(paths, self.modules).items():
                users[path].add(user)
        return reached, users

    def test_default_tests_import_only_default_packages(self):
        tests = default_tests()
        python_tests = {name: scripts for name, scripts in tests.items() if scripts}
        self.assertGreater(len(python_tests), 10, "found almost no default Python tests: is the listing right?")
        roots = dict(python_tests)
        for script, named_in in scripts_coact_runs().items():
            roots[f"coact (runs {rel(script)}, named in {named_in})"] = [script]
        reached, users = self.reach(roots)
        problems = check_files(reached, users, self.allowed)
        checked = sum(len(external) for _, external in reached.values())
        print(f"{len(python_tests)} default Python tests, {len(reached)} files, {checked} imports of other modules "
              f"checked against {len(self.allowed)} packages", file=sys.stderr)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_the_check_fails_on_what_it_must_catch(self):
        """A scratch test importing, optionally and inside a function, a module nothing provides,
        through a helper module beside it, is reported with its test, file, line and module; a
        standard-library import and the helper itself are not."""
        scratch = tempfile.mkdtemp(prefix="coact_imports_")
        self.addCleanup(shutil.rmtree, scratch, True)
        with open(os.path.join(scratch, "scratch_helper_for_the_check.py"), "w") as f:
            f.write(textwrap.dedent("""\
                import json


                def load():
                    try:
                        import coact_no_such_module_anywhere  # noqa: F401
                    except ImportError:
                        return None
                """))
        script = os.path.join(scratch, "scratch_test.py")
        with open(script, "w") as f:
            f.write("import os\nimport scratch_helper_for_the_check\n")
        reached, users = self.reach({"scratch_test": [script]})
        problems = check_files(reached, users, self.allowed)
        self.assertEqual(len(problems), 1, problems)
        self.assertRegex(problems[0], r"^scratch_test: .*scratch_helper_for_the_check\.py:6: imports third-party module "
                                      r"coact_no_such_module_anywhere, which is not installed")

    def test_a_debian_package_outside_the_list_is_refused(self):
        """An installed Debian module whose package the default list does not bring is reported
        with that package (the machine may have none: then there is nothing to show)."""
        outside = None
        for folder in ("/usr/lib/python3/dist-packages",):
            if not os.path.isdir(folder):
                continue
            names = sorted(n for n in os.listdir(folder) if n.isidentifier() and not n.startswith("_"))
            owned = owners([os.path.join(folder, n) for n in names])
            outside = next(((n, pkgs) for n in names for pkgs in [owned.get(os.path.join(folder, n))]
                            if pkgs and not set(pkgs) & self.allowed), None)
        if outside is None:
            self.skipTest("every installed Debian Python module here comes with the default packages")
        module, packages = outside
        script = os.path.join(tempfile.mkdtemp(prefix="coact_imports_"), "scratch_test.py")
        self.addCleanup(shutil.rmtree, os.path.dirname(script), True)
        with open(script, "w") as f:
            f.write(f"import {module}\n")
        reached, users = self.reach({"scratch_test": [script]})
        problems = check_files(reached, users, self.allowed)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(f"scratch_test.py:1: imports third-party module {module}", problems[0])
        self.assertIn(f"the Debian package {packages[0]}", problems[0])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
