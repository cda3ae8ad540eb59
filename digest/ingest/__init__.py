"""One pipeline from a source's entries to stored items: identity and dedupe, resolve skills, insert, mentions,
mark the demand figures pending."""
