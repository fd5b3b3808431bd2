"""The show's web site (build/site/), rendered from pipeline/templates/site/."""

from pipeline.site.pages import build_site, render_episode_page, render_show_page

__all__ = ["build_site", "render_episode_page", "render_show_page"]
