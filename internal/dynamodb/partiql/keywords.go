package partiql

// keywords are PartiQL's reserved words (SQL-92's and its own, as listed by
// the PartiQL reference lexer): unquoted, they are never attribute or table
// names. "end-exec" is left out, as it cannot lex as one word.
var keywords = map[string]bool{
	"absolute": true, "action": true, "add": true, "all": true, "allocate": true, "alter": true,
	"and": true, "any": true, "are": true, "as": true, "asc": true, "assertion": true, "at": true,
	"authorization": true, "avg": true, "bag": true, "begin": true, "between": true, "bit": true,
	"bit_length": true, "blob": true, "bool": true, "boolean": true, "by": true, "cascade": true,
	"cascaded": true, "case": true, "cast": true, "catalog": true, "char": true, "char_length": true,
	"character": true, "character_length": true, "check": true, "clob": true, "close": true,
	"coalesce": true, "collate": true, "collation": true, "column": true, "commit": true,
	"conflict": true, "connect": true, "connection": true, "constraint": true, "constraints": true,
	"continue": true, "convert": true, "corresponding": true, "count": true, "create": true,
	"cross": true, "current": true, "current_date": true, "current_time": true,
	"current_timestamp": true, "current_user": true, "cursor": true, "date": true, "date_add": true,
	"date_diff": true, "deallocate": true, "dec": true, "decimal": true, "declare": true,
	"default": true, "deferrable": true, "deferred": true, "delete": true, "desc": true,
	"describe": true, "descriptor": true, "diagnostics": true, "disconnect": true, "distinct": true,
	"do": true, "domain": true, "double": true, "drop": true, "else": true, "end": true,
	"escape": true, "except": true, "exception": true, "exec": true, "execute": true, "exists": true,
	"external": true, "extract": true, "false": true, "fetch": true, "first": true, "float": true,
	"for": true, "foreign": true, "found": true, "from": true, "full": true, "get": true,
	"global": true, "go": true, "goto": true, "grant": true, "group": true, "having": true,
	"identity": true, "immediate": true, "in": true, "index": true, "indicator": true,
	"initially": true, "inner": true, "input": true, "insensitive": true, "insert": true, "int": true,
	"integer": true, "intersect": true, "interval": true, "into": true, "is": true, "isolation": true,
	"join": true, "key": true, "language": true, "last": true, "left": true, "let": true,
	"level": true, "like": true, "limit": true, "list": true, "local": true, "lower": true,
	"match": true, "max": true, "min": true, "missing": true, "modified": true, "module": true,
	"names": true, "national": true, "natural": true, "nchar": true, "new": true, "next": true,
	"no": true, "not": true, "nothing": true, "null": true, "nullif": true, "numeric": true,
	"octet_length": true, "of": true, "old": true, "on": true, "only": true, "open": true,
	"option": true, "or": true, "order": true, "outer": true, "output": true, "overlaps": true,
	"pad": true, "partial": true, "pivot": true, "position": true, "precision": true, "prepare": true,
	"preserve": true, "primary": true, "prior": true, "privileges": true, "procedure": true,
	"public": true, "read": true, "real": true, "references": true, "relative": true, "remove": true,
	"restrict": true, "returning": true, "revoke": true, "right": true, "rollback": true,
	"rows": true, "schema": true, "scroll": true, "section": true, "select": true, "session": true,
	"session_user": true, "set": true, "sexp": true, "size": true, "smallint": true, "some": true,
	"space": true, "sql": true, "sqlcode": true, "sqlerror": true, "sqlstate": true, "string": true,
	"struct": true, "substring": true, "sum": true, "symbol": true, "system_user": true,
	"table": true, "temporary": true, "then": true, "time": true, "timestamp": true, "to": true,
	"transaction": true, "translate": true, "translation": true, "trim": true, "true": true,
	"tuple": true, "union": true, "unique": true, "unknown": true, "unpivot": true, "update": true,
	"upper": true, "usage": true, "user": true, "using": true, "value": true, "values": true,
	"varchar": true, "varying": true, "view": true, "when": true, "whenever": true, "where": true,
	"with": true, "work": true, "write": true, "zone": true,
}

// functionKeywords are keywords that may name a function when a "("
// follows.
var functionKeywords = map[string]bool{"exists": true, "count": true, "avg": true, "max": true, "min": true, "sum": true,
	"substring": true, "char_length": true, "character_length": true, "octet_length": true, "bit_length": true,
	"upper": true, "lower": true, "size": true, "nullif": true, "coalesce": true, "sexp": true, "list": true, "bag": true}
