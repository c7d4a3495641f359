//! IRIs of SHACL and of the RDF terms the engine reads.

pub(crate) mod rdf {
    pub(crate) const TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    pub(crate) const FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
    pub(crate) const REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
    pub(crate) const NIL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
    pub(crate) const LANG_STRING: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
}

pub(crate) mod rdfs {
    pub(crate) const CLASS: &str = "http://www.w3.org/2000/01/rdf-schema#Class";
    pub(crate) const SUB_CLASS_OF: &str = "http://www.w3.org/2000/01/rdf-schema#subClassOf";
}

/// SHACL terms (`http://www.w3.org/ns/shacl#`).
pub mod sh {
    macro_rules! terms {
        ($($name:ident = $local:literal;)*) => {
            $(#[allow(missing_docs)] pub const $name: &str = concat!("http://www.w3.org/ns/shacl#", $local);)*
        };
    }
    terms! {
        NODE_SHAPE = "NodeShape"; PROPERTY_SHAPE = "PropertyShape";
        TARGET_CLASS = "targetClass"; TARGET_NODE = "targetNode";
        TARGET_SUBJECTS_OF = "targetSubjectsOf"; TARGET_OBJECTS_OF = "targetObjectsOf";
        PATH = "path"; INVERSE_PATH = "inversePath"; ALTERNATIVE_PATH = "alternativePath";
        ZERO_OR_MORE_PATH = "zeroOrMorePath"; ONE_OR_MORE_PATH = "oneOrMorePath"; ZERO_OR_ONE_PATH = "zeroOrOnePath";
        SEVERITY = "severity"; MESSAGE = "message"; DEACTIVATED = "deactivated";
        VIOLATION = "Violation"; WARNING = "Warning"; INFO = "Info";
        CLASS = "class"; DATATYPE = "datatype"; NODE_KIND = "nodeKind";
        MIN_COUNT = "minCount"; MAX_COUNT = "maxCount";
        MIN_EXCLUSIVE = "minExclusive"; MIN_INCLUSIVE = "minInclusive";
        MAX_EXCLUSIVE = "maxExclusive"; MAX_INCLUSIVE = "maxInclusive";
        MIN_LENGTH = "minLength"; MAX_LENGTH = "maxLength"; PATTERN = "pattern"; FLAGS = "flags";
        LANGUAGE_IN = "languageIn"; UNIQUE_LANG = "uniqueLang";
        EQUALS = "equals"; DISJOINT = "disjoint"; LESS_THAN = "lessThan"; LESS_THAN_OR_EQUALS = "lessThanOrEquals";
        NOT = "not"; AND = "and"; OR = "or"; XONE = "xone"; NODE = "node"; PROPERTY = "property";
        QUALIFIED_VALUE_SHAPE = "qualifiedValueShape"; QUALIFIED_MIN_COUNT = "qualifiedMinCount";
        QUALIFIED_MAX_COUNT = "qualifiedMaxCount"; QUALIFIED_VALUE_SHAPES_DISJOINT = "qualifiedValueShapesDisjoint";
        CLOSED = "closed"; IGNORED_PROPERTIES = "ignoredProperties"; HAS_VALUE = "hasValue"; IN = "in";
        IRI = "IRI"; BLANK_NODE = "BlankNode"; LITERAL = "Literal";
        BLANK_NODE_OR_IRI = "BlankNodeOrIRI"; BLANK_NODE_OR_LITERAL = "BlankNodeOrLiteral"; IRI_OR_LITERAL = "IRIOrLiteral";
        VALIDATION_REPORT = "ValidationReport"; VALIDATION_RESULT = "ValidationResult";
        CONFORMS = "conforms"; RESULT = "result"; FOCUS_NODE = "focusNode"; RESULT_PATH = "resultPath";
        RESULT_SEVERITY = "resultSeverity"; SOURCE_CONSTRAINT_COMPONENT = "sourceConstraintComponent";
        SOURCE_SHAPE = "sourceShape"; VALUE = "value"; RESULT_MESSAGE = "resultMessage";
        CLASS_CC = "ClassConstraintComponent"; DATATYPE_CC = "DatatypeConstraintComponent";
        NODE_KIND_CC = "NodeKindConstraintComponent"; MIN_COUNT_CC = "MinCountConstraintComponent";
        MAX_COUNT_CC = "MaxCountConstraintComponent"; MIN_EXCLUSIVE_CC = "MinExclusiveConstraintComponent";
        MIN_INCLUSIVE_CC = "MinInclusiveConstraintComponent"; MAX_EXCLUSIVE_CC = "MaxExclusiveConstraintComponent";
        MAX_INCLUSIVE_CC = "MaxInclusiveConstraintComponent"; MIN_LENGTH_CC = "MinLengthConstraintComponent";
        MAX_LENGTH_CC = "MaxLengthConstraintComponent"; PATTERN_CC = "PatternConstraintComponent";
        LANGUAGE_IN_CC = "LanguageInConstraintComponent"; UNIQUE_LANG_CC = "UniqueLangConstraintComponent";
        EQUALS_CC = "EqualsConstraintComponent"; DISJOINT_CC = "DisjointConstraintComponent";
        LESS_THAN_CC = "LessThanConstraintComponent"; LESS_THAN_OR_EQUALS_CC = "LessThanOrEqualsConstraintComponent";
        NOT_CC = "NotConstraintComponent"; AND_CC = "AndConstraintComponent"; OR_CC = "OrConstraintComponent";
        XONE_CC = "XoneConstraintComponent"; NODE_CC = "NodeConstraintComponent";
        PROPERTY_CC = "PropertyConstraintComponent";
        QUALIFIED_MIN_COUNT_CC = "QualifiedMinCountConstraintComponent";
        QUALIFIED_MAX_COUNT_CC = "QualifiedMaxCountConstraintComponent";
        CLOSED_CC = "ClosedConstraintComponent"; HAS_VALUE_CC = "HasValueConstraintComponent"; IN_CC = "InConstraintComponent";
    }
}
