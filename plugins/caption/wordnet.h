/* caption plugin — the part of nltk 3.8's WordNet reader that METEOR uses:
 * synsets(word) over all parts of speech (morphy lemmatisation with the
 * exception lists) and the lemma names of those synsets.  Reads the WordNet
 * 3.0 dict files (Debian wordnet-base: /usr/share/wordnet) at run time. */
#ifndef CAPTION_WORDNET_H
#define CAPTION_WORDNET_H

#include "mmscore/error.h"
#include "text.h"

typedef struct cap_wordnet cap_wordnet;

/* Loads index.*, *.exc and data.* from dir.  *out owned by the caller
 * (cap_wordnet_free).  Read-only afterwards: safe to share across threads. */
int cap_wordnet_open(const char *dir, cap_wordnet **out, mms_error *err);
void cap_wordnet_free(cap_wordnet *wn);

/* Appends to out the lemma names (case as in WordNet, without syntactic
 * markers, leaving out names containing '_') of every synset of word, for
 * nouns, verbs, adjectives and adverbs in that order.  May repeat names. */
int cap_wordnet_lemma_names(const cap_wordnet *wn, const char *word, cap_toks *out);

#endif
