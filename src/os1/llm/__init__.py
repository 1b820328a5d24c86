"""Language-model backends behind one small async interface (see ``os1.llm.base``)."""
