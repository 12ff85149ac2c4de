// Package entities is the ENTITIES analyser (Analyzer, New): named entities in English text in
// the shape of Comprehend's DetectEntities, {"BeginOffset","EndOffset","Score","Text","Type"}
// per entity, offsets in characters. PERSON, LOCATION and ORGANIZATION come from a sequence
// model (internal/ner, trained on CoNLL-2003 by internal/trainner: make train-ner; embedded as
// models/ner.bin.gz) with gazetteer features from lexicon/; EVENT, COMMERCIAL_ITEM, OTHER,
// TITLE, DATE and QUANTITY from rules. Analyzer documents the method and its limits;
// TestEntitiesCoNLLHeldOut, TestEntitiesEvaluation and TestEntitiesUnseen report its figures
// (make analysers).
package entities
