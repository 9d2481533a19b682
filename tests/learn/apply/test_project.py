"""Project facts name their project."""

from sidecar.learn.apply.project import name_project, project_key


def test_project_conventions_get_their_project_named_once() -> None:
    assert name_project("Deployed as a static site on Render", "project_convention", "random") == \
        "Project random: deployed as a static site on Render"
    assert name_project("Hosted at random.akerud.se", "project_convention", "random") == \
        "Hosted at random.akerud.se"  # already names it
    assert name_project("The random app is MIT-licensed", "project_convention", "random") == \
        "The random app is MIT-licensed"
    assert name_project("Project shop uses npm", "project_convention", "shop") == "Project shop uses npm"


def test_personal_facts_and_facts_without_a_project_are_left_alone() -> None:
    assert name_project("Prefers dark mode", "preference", "random") == "Prefers dark mode"
    assert name_project("Hosted at x.se", "project_convention", None) == "Hosted at x.se"
    assert project_key("/home/me/code/shop") == "shop"
    assert project_key(None) is None


def test_an_agent_reporting_on_itself_names_itself() -> None:
    from sidecar.learn.apply.project import agent_as_subject

    assert agent_as_subject("I was installed via npm", "gemini") == "Gemini CLI was installed via npm"
    assert agent_as_subject("I was installed via npm", "unknown-agent") == "I was installed via npm"
    assert agent_as_subject("Installed via npm", "gemini") == "Installed via npm"
