"""Context guards on real sentences of the HN "Who is hiring?" postings (read from ../shared/data): a brand
named as a customer, an investor, a former employer, in application instructions, inside a URL, as a salary
currency, as a degree or as the company itself is no skill mention; the same names in a stack still are."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.taxonomy import context
from digest.taxonomy.matcher import get_matcher
from tests.eval import hn


@pytest.fixture(scope="module")
def postings(shared_data: Path) -> dict[int, str]:
    return {p.id: p.text for p in hn.load(shared_data)}


def sentence(postings: dict[int, str], posting: int, words: str) -> str:
    """The line of a posting that holds `words` (so the test reads the real sentence, not a copy)."""
    line = next((x for x in postings[posting].split("\n") if words in x), None)
    assert line is not None, (posting, words)
    return line


def slugs(text: str) -> set[str]:
    return {m.slug for m in get_matcher().match(text)}


@pytest.mark.parametrize(
    ("posting", "words", "not_skills", "skills"),
    [
        # customers and users
        (46857491, "used by Google, Stripe", {"stripe"}, {"ruby", "react", "typescript", "python", "nodejs"}),
        (46471318, "customers such as Cloudflare", {"cloudflare"}, set()),
        # investors and backers ("Marc Benioff (Salesforce CEO)")
        (47309381, "backed by Blackstone", {"salesforce"}, set()),
        # former employers
        (46467511, "ex-Google, GitHub", {"github"}, set()),
        (46469687, "experience at companies such as", {"snowflake"}, set()),
        # application instructions
        (47219761, "GitHub/GitLab link", {"github", "gitlab"}, set()),
        (47236437, "github or personal projects", {"github"}, set()),
        # a URL
        (46476963, "Repo here: https://github.com", {"github"}, set()),
        # a salary currency
        (46857970, "$140k CAD", {"cad"}, set()),
        # an analogy
        (46857970, '"Cursor-like" experience', {"cursor"}, set()),
        (46896838, "Figma for the built world", {"figma"}, set()),
        (47220521, "what Figma did to design", {"figma"}, set()),
    ],
)
def test_a_name_in_these_contexts_is_no_skill_mention(
    postings: dict[int, str], posting: int, words: str, not_skills: set[str], skills: set[str]
) -> None:
    line = sentence(postings, posting, words)
    found = slugs(line)
    assert not found & not_skills, (line, found)
    assert skills <= found, (line, found)
    assert not slugs(postings[posting]) & not_skills  # nor anywhere else in that posting


def test_the_same_names_in_a_stack_are_skills(postings: dict[int, str]) -> None:
    assert "stripe" in slugs(sentence(postings, 47243146, "Stripe billing"))
    assert "github" in slugs(sentence(postings, 46859092, "GitHub workflows"))
    assert "cloudflare" in slugs("Stack: Go, Postgres, Cloudflare Workers.")
    assert "snowflake" in slugs("You will build pipelines into Snowflake with dbt and Airflow.")


def test_the_company_name_is_not_its_skill(postings: dict[int, str]) -> None:
    """ "Espresso AI | Staff Engineers": the company's name; a later mention of the skill still counts."""
    assert "ai" not in slugs(postings[47227261])  # AI only in the company name
    assert "metabase" not in slugs(postings[46498756])  # Metabase's own posting
    resemble = postings[46467085]
    assert resemble.startswith("Resemble AI |")
    found = get_matcher().match(resemble)
    ai = next(m for m in found if m.slug == "ai")
    assert ai.start > resemble.index("|")  # "state of the art AI models": the first mention after the name
    assert resemble[ai.start : ai.end] == "AI"


def test_a_degree_is_not_a_product(postings: dict[int, str]) -> None:
    line = sentence(postings, 46858210, "BS/MS in CS")
    assert not slugs(line) - {"optical-engineering"}, slugs(line)


def test_keep_leaves_ordinary_matches_alone() -> None:
    text = "Python, Go and Rust on AWS; Kubernetes, Terraform, GitHub Actions. $150k-$200k USD."
    raw = get_matcher().candidates(text)
    assert raw
    found = get_matcher().match(text)
    assert {m.slug for m in found} >= {"python", "go", "rust", "aws", "kubernetes", "terraform", "github-actions"}
    assert context.keep(text, found) == found  # idempotent
    assert context.keep(text, []) == []


def test_an_analogy_is_no_mention_even_beside_a_stack(postings: dict[int, str]) -> None:
    """Cursor is a weak name: alone in its line it needs a strong mention to count, so the stack is added."""
    stack = " Stack: Python, React."
    line = sentence(postings, 46861232, "think Cursor for radiologists")
    assert "cursor" not in slugs(line + stack) and {"python", "react"} <= slugs(line + stack)
    assert "cursor" in slugs("We pair with Cursor for code review." + stack)  # a tool in use stays a mention
    assert "figma" in slugs("Tools:\n- Figma for prototyping\n- Python")  # a bullet is a stack, not an analogy
    assert "github" not in slugs("AllSpice (think GitHub + copilot for hardware)." + stack)


@pytest.mark.parametrize(
    ("posting", "words", "not_skill"),
    [
        (46535464, "No Jira.", "atlassian-jira"),  # a negation
        (47254867, "No GPS. No RF link.", "geographic-information-system-gis"),
        (47254867, "No GPS. No RF link.", "wireless-communications"),
        (46496613, "differs from LLMs", "llm"),  # a contrast
        (46858287, "devops eng", "devops"),  # a role in a list of roles
        (46468466, "- DevOps: https://", "devops"),  # an opening and its link
        (46622835, "social networking graph", "networking"),  # not computer networking
        (46859082, "constant contact", "constant-contact"),  # the product only as written
        (47226444, "trusted by teams at", "pydantic"),  # a customer list
        (47225025, "replacing tools like", "hootsuite"),  # competitors the product replaces
        (47225025, "replacing tools like", "asana"),
        (46858708, "share your YouTube", "youtube"),  # application instructions
    ],
)
def test_negations_roles_and_plain_words_are_no_mention(
    postings: dict[int, str], posting: int, words: str, not_skill: str
) -> None:
    line = sentence(postings, posting, words)
    assert not_skill not in slugs(line), line


def test_a_negation_needs_the_word_right_before_the_name() -> None:
    assert "python" not in slugs("Tools: no Python, rather than Python, unlike Python.")
    assert {"python", "kubernetes"} <= slugs("Not only Python: Kubernetes too. Nobody knows Python better.")
    assert "python" in slugs("Casino Python tooling")  # "no " inside a word is no negation
    assert "atlassian-jira" not in slugs("No Jira. Stack: Python, Kubernetes.")
    assert "atlassian-jira" in slugs("We use Jira. Stack: Python, Kubernetes.")


def test_the_company_name_again_is_not_its_skill(postings: dict[int, str]) -> None:
    """ "Gambit Robotics | ..." and later "cofounder of Gambit Robotics": both are the company's name."""
    text = postings[46566849]
    assert text.startswith("Gambit Robotics |") and "of Gambit Robotics" in text
    assert "robotics" not in slugs(text)
    assert "robotics" in slugs("Acme Robotics | Engineer\nRobotics and controls in C++ and Python.")


@pytest.mark.parametrize(
    ("posting", "words", "not_skills", "skills"),
    [
        # a customer list after an adverb (2026.12.6)
        (47224017, "organizations globally like Block", {"vercel", "temporal", "circleci"}, set()),
        # a product being left
        (47226189, "move off GitHub", {"github"}, set()),
        # a negated use a few words before, and the names that continue it
        (46859154, "not shelling out to OpenAI", {"openai-api", "gemini"}, set()),
        # a company whose name holds a skill's word ("T-Mobile" is no mobile development)
        (46471318, "customers such as Cloudflare, T-Mobile", {"mobile-development"}, set()),
        # the verb "building", not building automation; "CS" is computer science, not an accounting product
        (46467873, "building automation tools", {"building-automation"}, set()),
        (46861441, "CS/infra founder", {"creative-solutions-ultratax-cs"}, set()),
        # a word that only looks like a practice ("prompting objections")
        (46879486, "prompting objections", {"prompt-engineering"}, set()),
    ],
)
def test_lists_departures_negations_and_lookalikes_are_no_mention(
    postings: dict[int, str], posting: int, words: str, not_skills: set[str], skills: set[str]
) -> None:
    line = sentence(postings, posting, words)
    found = slugs(line)
    assert not found & not_skills, (line, found)
    assert skills <= found, (line, found)


def test_a_dropped_name_takes_what_it_implies_with_it(postings: dict[int, str]) -> None:
    """A coding assistant in use names AI-assisted development; one in a customer list names neither."""
    line = sentence(postings, 46468554, "customers like Cursor")
    assert not slugs(line) & {"cursor", "ai-assisted-development"}, line
    used = sentence(postings, 46857739, "everyone uses Cursor/Copilot")
    assert {"cursor", "github-copilot", "ai-assisted-development"} <= slugs(used), used


def test_bare_words_for_the_work_count_in_a_stack_not_in_a_name(postings: dict[int, str]) -> None:
    """ "Mobile", "Cloud" and "Embedded" name the work in a list or a title, not in a name: "Mobile Engineers",
    "Cloud Capacity" (a team), "Hetzner Cloud" (a product)."""
    assert "mobile-development" in slugs(sentence(postings, 46907390, "Mobile/iOS Engineer"))
    assert "mobile-development" in slugs(sentence(postings, 46596381, "ship web, mobile, and AI"))
    assert "cloud-technologies" in slugs(sentence(postings, 47006572, "cloud/containerization expertise"))
    assert "embedded-systems" in slugs(postings[46893204])  # "(Embedded/Full Stack)", a weak word beside a stack
    assert "mobile-development" not in slugs(sentence(postings, 46857739, "Mobile Engineers, Engineering managers"))
    assert "cloud-technologies" not in slugs(sentence(postings, 46857609, "Cloud Capacity"))
    assert "cloud-technologies" not in slugs(sentence(postings, 46861028, "Deployed on Hetzner Cloud"))
    assert "ruby" in slugs(sentence(postings, 47224017, "ruby/rails shop"))


@pytest.mark.parametrize(
    ("posting", "words", "not_skills", "skills"),
    [
        # an analogy with "think of ... but for" (2026.12.7)
        (46860352, "Think of github but for hardware design", {"github"}, set()),
        # a customer list after "teams, including"; investors after "participation from"
        (47229954, "teams, including Lovable, Raycast, and n8n", {"lovable", "n8n"}, set()),
        (47128740, "participation from Paul Graham, Perplexity", {"perplexity"}, set()),
        # the company's own product, and an era named after a product
        (46859814, "the creators of PyTorch Lightning", {"pytorch-lightning"}, {"ai"}),
        (46859582, "the post-SEO era", {"search-engine-optimisation"}, set()),
        (46535376, "the pre-LLM days", {"llm"}, set()),
        # a background, not the work ("authors of neovim")
        (46468149, "authors of neovim", {"neovim"}, set()),
        # "design systems" as a verb and its object, not the practice
        (46471975, "We design systems that are fast", {"design-system"}, set()),
    ],
)
def test_own_products_eras_analogies_and_lists_are_no_mention(
    postings: dict[int, str], posting: int, words: str, not_skills: set[str], skills: set[str]
) -> None:
    line = sentence(postings, posting, words)
    found = slugs(line)
    assert not found & not_skills, (line, found)
    assert skills <= found, (line, found)


def test_the_same_names_in_the_work_are_skills(postings: dict[int, str]) -> None:
    """The guards of 2026.12.7 leave the names alone where they are the work: a stack, a list of skills."""
    assert "design-system" in slugs(sentence(postings, 46467492, "workflows, design systems"))
    assert "docker-swarm" in slugs(sentence(postings, 46860352, "Docker Swarm & Terraform"))
    assert {"load-balancing", "container-orchestration", "reverse-proxy"} <= slugs(
        sentence(postings, 46509990, "container orchestration, load balancing")
    )
    assert "search-engine-optimisation" in slugs("We grow through SEO and content. Stack: Python.")


def test_a_devsecops_title_is_a_role(postings: dict[int, str]) -> None:
    assert "devsecops" not in slugs(postings[47222672])
