"""The curated knowledge base: articles in knowledge/articles, the topic contract in knowledge/topics.yml."""

from bot.knowledge.store import Article, KnowledgeBase, Source, load_knowledge_base

__all__ = ["Article", "KnowledgeBase", "Source", "load_knowledge_base"]
