"""Machine-translated drafts: a translation provider behind one small interface
(:mod:`portal.translation.providers`) and the job that asks it for the versions a text lacks
(:mod:`portal.translation.drafts`). Off unless the environment names a provider."""
