# make book  - build the HTML book into _build/html (warnings are errors)
# make test  - lint, then run the library tests and every notebook
# make lab   - open the notebooks in JupyterLab
# make fuzz  - property-based tests with fresh random examples, 20 times as many (slow)
# make bench - speed benchmarks side by side (benchmarks/run.py; torch optional)
# make assignments - student versions and autograders of the graded assignments
#              (book/assignments/ and _build/assignments/; make book and make test run it)
# make grade ASSIGNMENT=gradients SUBMISSIONS=path/ - grade submissions (notebooks, zips or
#              folders of them) locally; gradebook and feedback in _build/grades/<assignment>/
# Each target creates .venv on first use and reinstalls only when pyproject.toml changes
# (the install stamps live inside .venv, so deleting .venv also forgets them).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest workers for make test (pytest-xdist): each takes whole files (a notebook's cells
# run in order in one kernel); the book is built once for all (tests/book_build.py). A third
# worker on two cores was 5% faster, but starved the browser test that times frame gaps.
JOBS ?= 2

.PHONY: book test fuzz lab assignments grade bench clean distclean

book: assignments
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(VENV)/.stamp-test
	$(BIN)/python assignments/generate.py --no-run-tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder

fuzz: $(VENV)/.stamp-test
	UFM_HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest $$(grep -l '@given' tests/*.py)

assignments: $(VENV)/.stamp-book
	$(BIN)/python assignments/generate.py

GRADEBOOK = _build/grades/$(ASSIGNMENT)/gradebook.csv
grade: $(VENV)/.stamp-book
	@if [ -z "$(ASSIGNMENT)" ] || [ -z "$(SUBMISSIONS)" ]; then \
		echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<notebooks, zips or folders>" >&2; \
		exit 2; fi
	$(BIN)/python assignments/grader.py $(ASSIGNMENT) $(SUBMISSIONS) --out $(GRADEBOOK)
	@cat $(GRADEBOOK)

bench: $(VENV)/.stamp-book
	$(BIN)/python benchmarks/run.py

# JupyterLab refuses to start as root (the usual user in containers) without --allow-root.
lab: $(VENV)/.stamp-lab
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.stamp-book: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[book]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[book,test]'
	touch $@

$(VENV)/.stamp-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[book,lab]'
	touch $@

clean:
	rm -rf _build book/assignments .pytest_cache .hypothesis .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
