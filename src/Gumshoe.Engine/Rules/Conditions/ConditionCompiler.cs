using System.Runtime.CompilerServices;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Rules.Conditions;

/// <summary>
/// Compiles rule conditions, once, into <c>Func&lt;Event, bool&gt;</c> delegates (closures; nothing is interpreted per event).
/// </summary>
/// <remarks>
/// <para><b>Expression syntax</b> (keywords are case-insensitive):</para>
/// <code>
/// event.outcome == "failure" and not source.ip in cidr("10.0.0.0/8", "192.168.0.0/16")
/// event.action in ("ssh_auth_failed", "ssh_invalid_user")      # also ["a", "b"]
/// user.name != "root"         http.response.status_code >= 400         process.pid &lt; 1000
/// message contains "Failed password"     message startswith "Invalid"     url.path endswith ".php"
/// user.name matches "^adm.*"             # regex, case-insensitive
/// exists(user.name)   user.name exists   not exists(x)   x not exists   x not in ("a")   x not contains "y"
/// (a == 1 or b == 2) &amp;&amp; !c == 3   @timestamp >= "2024-05-01T00:00:00Z"   `weird-name.x` == 'v'
/// message contains ("a", "b")            # any of the strings; also for startswith/endswith/matches
/// cased(user.name == "Root" and message contains "Failed")   # case-sensitive inside cased(...)
/// </code>
/// <list type="bullet">
/// <item>Strings use double or single quotes; escapes are <c>\\ \" \' \n \r \t \0 \uXXXX</c>, and any other
/// backslash pair is kept as written, so <c>matches "\d+"</c> reads as the regex <c>\d+</c>.</item>
/// <item>String comparisons ignore case (ordinal) unless wrapped in <c>cased(...)</c>, which makes every string
/// comparison, list and regex inside it case-sensitive.</item>
/// <item><c>==</c> against a number compares numerically, also when the field is a string holding a number; a
/// string literal that reads as a number compares numerically with number fields. IP fields compare as addresses
/// (<c>source.ip == "1.2.3.4"</c>), timestamp fields as instants against RFC 3339 strings.
/// <c>&lt; &lt;= &gt; &gt;=</c> are numeric for numbers, chronological for RFC 3339 strings, ordinal otherwise.</item>
/// <item><c>x == null</c> is <c>not exists(x)</c>; <c>x != null</c> is <c>exists(x)</c>.</item>
/// <item>Missing fields (Sigma semantics): every test on a missing field is false, and <c>!=</c> is exactly
/// <c>not ==</c>, so <c>user.name != "root"</c> is true when there is no <c>user.name</c>.</item>
/// <item>Arrays: a test on an array field is true when any element passes; <c>tags != "x"</c> means no element
/// is "x".</item>
/// <item>Regexes use the non-backtracking engine; patterns it cannot run (lookarounds, backreferences) get a 100 ms
/// match timeout and a timeout is no match, reported through <see cref="ConditionOptions.RegexTimedOut"/> and
/// counted in <see cref="RegexTimeouts"/>. A literal every match must contain is checked with <c>IndexOf</c> first.</item>
/// <item>Compiled delegates keep no per-call state and are safe to call from several threads at once.</item>
/// <item>Inside <c>and</c>/<c>or</c>, cheap tests run before costly ones (regexes last); terms have no side effects,
/// so the reordering does not change results.</item>
/// </list>
/// <para><b>YAML shapes</b> accepted by <see cref="Compile(ConfigNode)"/>; see <see cref="SigmaMatcher"/> for matcher modifiers:</para>
/// <code>
/// # 1. an expression
/// condition: 'event.outcome == "failure" and user.name != "root"'
/// # 2. field matchers, all must match; a list value means any of the values
/// condition:
///   event.outcome: failure
///   user.name|startswith: [adm, root]
///   source.ip|cidr: 10.0.0.0/8
/// # 3. a list: any item must match; items are matcher mappings or expressions
/// condition:
///   - event.action: ssh_auth_failed
///   - event.action: ssh_invalid_user
///     user.name|exists: true
/// # 4. named selections combined by a Sigma condition: and/or/not, "1 of sel_*", "all of sel_*", "1 of them"
///    ("them" skips names starting with "_"), and "N of ..." for at least N
/// condition:
///   selections:
///     sel_fail: { event.outcome: failure }
///     sel_invalid: { event.action: ssh_invalid_user }
///     filter_internal: { source.ip|cidr: [10.0.0.0/8, 192.168.0.0/16] }
///   condition: 1 of sel_* and not filter_internal
/// </code>
/// A Sigma <c>detection</c> block also works as is: a mapping with a <c>condition</c> key whose other values are all
/// mappings (or lists of mappings) is read as selections plus condition.
/// </remarks>
public static class ConditionCompiler
{
    private static readonly ConditionOptions Defaults = new();

    /// <summary>User regexes that gave up after their match timeout, since start (each counted as no match).</summary>
    public static long RegexTimeouts => UserRegex.TotalTimeouts;

    /// <summary>Compiles an expression; throws <see cref="ConditionSyntaxException"/> (with the column) on bad input.</summary>
    public static Func<Event, bool> Compile(string expression) => Compile(expression, Defaults);

    /// <summary>Compiles an expression with options.</summary>
    public static Func<Event, bool> Compile(string expression, ConditionOptions options) =>
        Built(ConditionParser.Parse(expression), options);

    /// <summary>Compiles any of the YAML shapes; errors are <see cref="ConfigException"/>s located at the node.</summary>
    public static Func<Event, bool> Compile(ConfigNode node) => Compile(node, Defaults);

    /// <summary>Compiles any of the YAML shapes with options.</summary>
    public static Func<Event, bool> Compile(ConfigNode node, ConditionOptions options) =>
        Built(SigmaMatcher.Parse(node), options);

    /// <summary>The condition that holds for every event (what <see cref="Specialize"/> gives for a condition it settles as true).</summary>
    public static readonly Func<Event, bool> Always = static _ => true;

    /// <summary>The condition that holds for no event (what <see cref="Specialize"/> gives for a condition it settles as false).</summary>
    public static readonly Func<Event, bool> Never = static _ => false;

    // What each compiled condition was compiled from, so that it can be compiled again for events known to hold a value
    private static readonly ConditionalWeakTable<Func<Event, bool>, Source> Sources = new();
    private sealed record Source(ConditionNode Node, ConditionOptions Options);

    private static Func<Event, bool> Built(ConditionNode node, ConditionOptions options)
    {
        var test = Build(node, options).Test;
        if (test != Always && test != Never) Sources.AddOrUpdate(test, new Source(node, options));
        return test;
    }

    /// <summary>
    /// A compiled condition (from <see cref="Compile(ConfigNode, ConditionOptions)"/> or the expression overload) for
    /// only the events whose <paramref name="field"/> is a string equal to <paramref name="value"/> ignoring case, as a
    /// rule list's dispatch index knows before any rule matches: its equality and in-list tests of that field against
    /// string literals are settled and the rest is compiled again without them — <see cref="Always"/> or
    /// <see cref="Never"/> when nothing is left to test. Exact for those events only; a delegate compiled elsewhere is
    /// returned as it is.
    /// </summary>
    public static Func<Event, bool> Specialize(Func<Event, bool> condition, string field, string value)
    {
        if (condition == Always || condition == Never || !Sources.TryGetValue(condition, out var source)) return condition;
        var folded = Fold(source.Node, field, value);
        if (ReferenceEquals(folded, source.Node)) return condition;
        return folded is ConstantNode c ? c.Value ? Always : Never : Build(folded, source.Options).Test;
    }

    // The condition with the tests of `field` against string literals settled for a string equal to `value` ignoring
    // case (the same node when nothing changes). Case-sensitive tests are only settled as false (a value unequal
    // ignoring case is unequal with case too); in-lists with number-like strings are left alone (they also compare
    // numerically), as RequiredValues leaves them.
    private static ConditionNode Fold(ConditionNode node, string field, string value)
    {
        switch (node)
        {
            case CompareNode { Op: CompareOp.Eq, Value.Kind: LiteralKind.String } c when c.Field == field:
            {
                var equal = string.Equals(c.Value.Text, value, StringComparison.OrdinalIgnoreCase);
                return !equal ? new ConstantNode(false) : c.Cased ? c : new ConstantNode(true);
            }
            case InListNode l when l.Field == field && l.Values.All(v => v.Kind == LiteralKind.String && v.Number is null):
            {
                var any = l.Values.Any(v => string.Equals(v.Text, value, StringComparison.OrdinalIgnoreCase));
                return !any ? new ConstantNode(false) : l.Cased ? l : new ConstantNode(true);
            }
            case NotNode n:
            {
                var inner = Fold(n.Term, field, value);
                return ReferenceEquals(inner, n.Term) ? n : inner is ConstantNode k ? new ConstantNode(!k.Value) : new NotNode(inner);
            }
            case AndNode a: return Junction(a, a.Terms, isAnd: true);
            case OrNode o: return Junction(o, o.Terms, isAnd: false);
            case AtLeastNode m:
            {
                var terms = m.Terms.Select(t => Fold(t, field, value)).ToList();
                if (terms.SequenceEqual(m.Terms, ReferenceEqualityComparer.Instance)) return m;
                var min = m.Min - terms.Count(t => t is ConstantNode { Value: true });
                terms.RemoveAll(t => t is ConstantNode);
                return min <= 0 ? new ConstantNode(true) : terms.Count < min ? new ConstantNode(false) : new AtLeastNode(terms, min);
            }
            default: return node;
        }

        ConditionNode Junction(ConditionNode original, IReadOnlyList<ConditionNode> terms, bool isAnd)
        {
            var folded = terms.Select(t => Fold(t, field, value)).ToList();
            if (folded.SequenceEqual(terms, ReferenceEqualityComparer.Instance)) return original;
            // and: a false term settles it, true terms drop out; or: the other way round
            if (folded.Any(t => t is ConstantNode k && k.Value != isAnd)) return new ConstantNode(!isAnd);
            folded.RemoveAll(t => t is ConstantNode);
            return folded.Count switch
            {
                0 => new ConstantNode(isAnd),
                1 => folded[0],
                _ => isAnd ? new AndNode(folded) : new OrNode(folded),
            };
        }
    }

    /// <summary>The field names the condition reads.</summary>
    public static IReadOnlySet<string> ReferencedFields(ConfigNode node) => Collect(SigmaMatcher.Parse(node));

    /// <summary>The field names the expression reads; throws <see cref="ConditionSyntaxException"/> on bad input.</summary>
    public static IReadOnlySet<string> ReferencedFields(string expression) => Collect(ConditionParser.Parse(expression));

    /// <summary>
    /// Which of <paramref name="candidates"/> <paramref name="field"/> may hold when the condition is true: a
    /// candidate is left out only when the condition is false for every event whose field has that value, whatever
    /// its other fields (tests on other fields count as unknown; and, or and not follow three-valued logic).
    /// </summary>
    public static IReadOnlySet<string> PossibleValues(ConfigNode node, string field, IEnumerable<string> candidates)
    {
        var root = SigmaMatcher.Parse(node);
        var possible = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            var e = new Event();
            e.Set(field, candidate);
            if (Evaluate(root, field, e) != false) possible.Add(candidate);
        }
        return possible;
    }

    /// <summary>
    /// Per field, the values (compared ignoring case) one of which the field must hold, as a string, for the condition
    /// to be true: from equality and in-list tests on string literals that the condition requires (and-ed at the top,
    /// or on every branch of an or). A field not in the result may hold anything; so may a field holding a non-string.
    /// </summary>
    public static Dictionary<string, HashSet<string>> RequiredValues(ConfigNode node) => Required(SigmaMatcher.Parse(node));

    private static Dictionary<string, HashSet<string>> Required(ConditionNode node)
    {
        switch (node)
        {
            // on a string field, == of a string literal is a string comparison, whatever the literal also reads as
            case CompareNode { Op: CompareOp.Eq, Value.Kind: LiteralKind.String } c:
                return new(StringComparer.Ordinal) { [c.Field] = new(StringComparer.OrdinalIgnoreCase) { c.Value.Text } };
            // in-list also compares string fields numerically with number-like literals: those lists are left out
            case InListNode l when l.Values.All(v => v.Kind == LiteralKind.String && v.Number is null):
                return new(StringComparer.Ordinal) { [l.Field] = new(l.Values.Select(v => v.Text), StringComparer.OrdinalIgnoreCase) };
            case AndNode a: return AllOf(a.Terms);
            case OrNode o: return AnyOf(o.Terms);
            case AtLeastNode m when m.Min >= m.Terms.Count: return AllOf(m.Terms);
            case AtLeastNode m when m.Min >= 1: return AnyOf(m.Terms);
            default: return new(StringComparer.Ordinal);
        }

        static Dictionary<string, HashSet<string>> AllOf(IReadOnlyList<ConditionNode> terms)
        {
            var all = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var t in terms)
                foreach (var (field, values) in Required(t))
                    if (all.TryGetValue(field, out var have)) have.IntersectWith(values);
                    else all[field] = values;
            return all;
        }

        static Dictionary<string, HashSet<string>> AnyOf(IReadOnlyList<ConditionNode> terms)
        {
            Dictionary<string, HashSet<string>>? any = null;
            foreach (var t in terms)
            {
                var r = Required(t);
                if (any is null) { any = r; continue; }
                foreach (var field in any.Keys.ToList())
                    if (r.TryGetValue(field, out var values)) any[field].UnionWith(values);
                    else any.Remove(field);
            }
            return any ?? new(StringComparer.Ordinal);
        }
    }

    // Three-valued: null is "unknown", for tests on fields other than the one the event carries.
    private static bool? Evaluate(ConditionNode node, string field, Event e)
    {
        switch (node)
        {
            case ConstantNode c: return c.Value;
            case NotNode n: return !Evaluate(n.Term, field, e);
            case AndNode a:
            {
                bool? all = true;
                foreach (var t in a.Terms)
                {
                    var v = Evaluate(t, field, e);
                    if (v == false) return false;
                    if (v is null) all = null;
                }
                return all;
            }
            case OrNode o:
            {
                bool? any = false;
                foreach (var t in o.Terms)
                {
                    var v = Evaluate(t, field, e);
                    if (v == true) return true;
                    if (v is null) any = null;
                }
                return any;
            }
            case AtLeastNode m:
            {
                int yes = 0, unknown = 0;
                foreach (var t in m.Terms)
                {
                    var v = Evaluate(t, field, e);
                    if (v == true) yes++;
                    else if (v is null) unknown++;
                }
                return yes >= m.Min ? true : yes + unknown < m.Min ? false : null;
            }
            default:
                return FieldOf(node) == field ? Build(node, Defaults).Test(e) : null;
        }
    }

    private static string? FieldOf(ConditionNode node) => node switch
    {
        ExistsNode x => x.Field,
        CompareNode c => c.Field,
        TextNode t => t.Field,
        RegexNode r => r.Field,
        InListNode l => l.Field,
        CidrNode c => c.Field,
        _ => null,
    };

    private readonly record struct Compiled(Func<Event, bool> Test, int Cost);

    private static IReadOnlySet<string> Collect(ConditionNode root)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        void Walk(ConditionNode n)
        {
            switch (n)
            {
                case AndNode a: foreach (var t in a.Terms) Walk(t); break;
                case OrNode o: foreach (var t in o.Terms) Walk(t); break;
                case NotNode x: Walk(x.Term); break;
                case AtLeastNode m: foreach (var t in m.Terms) Walk(t); break;
                case ExistsNode e: set.Add(e.Field); break;
                case CompareNode c: set.Add(c.Field); break;
                case TextNode t: set.Add(t.Field); break;
                case RegexNode r: set.Add(r.Field); break;
                case InListNode l: set.Add(l.Field); break;
                case CidrNode c: set.Add(c.Field); break;
            }
        }
        Walk(root);
        return set;
    }

    private static Compiled Build(ConditionNode node, ConditionOptions options)
    {
        switch (node)
        {
            case ConstantNode c:
                return new(c.Value ? Always : Never, 0);
            case NotNode n:
            {
                var inner = Build(n.Term, options);
                var f = inner.Test;
                return new(e => !f(e), inner.Cost);
            }
            case AtLeastNode m:
            {
                var parts = m.Terms.Select(t => Build(t, options)).OrderBy(p => p.Cost).ToArray();
                var fs = parts.Select(p => p.Test).ToArray();
                var min = m.Min;
                return new(e =>
                {
                    var hits = 0;
                    for (var k = 0; k < fs.Length; k++)
                    {
                        if (fs[k](e) && ++hits >= min) return true;
                        if (hits + fs.Length - k - 1 < min) return false;
                    }
                    return false;
                }, parts.Sum(p => p.Cost));
            }
            case AndNode a: return Junction(Flatten<AndNode>(a.Terms, x => x.Terms), options, isAnd: true);
            case OrNode o: return Junction(Flatten<OrNode>(o.Terms, x => x.Terms), options, isAnd: false);
            case ExistsNode x:
            {
                var field = FieldNames.Intern(x.Field);
                var hint = -1;
                return Remembered(new(e => e.TryGet(field, ref hint, out var v) && !v.IsNull, 1), x, options);
            }
            case CompareNode c:
                return Remembered(OnField(c.Field, c.Op == CompareOp.Eq ? ValueTests.Equal(c.Value, c.Cased) : ValueTests.Order(c.Value, c.Op, c.Cased), 2), c, options);
            case InListNode l: return Remembered(OnField(l.Field, ValueTests.InList(l.Values, l.Cased), 2), l, options);
            case CidrNode c: return Remembered(OnField(c.Field, ValueTests.InCidr(c.Networks), 4 + c.Networks.Count), c, options);
            case TextNode t: return Remembered(OnField(t.Field, ValueTests.TextTest(t.Op, t.Text, t.Cased), t.Op == TextOp.Contains ? 5 : 3), t, options);
            case RegexNode r:
            {
                var regex = new UserRegex(r.Pattern, r.Options, r.Cased, options.RegexTimedOut);
                return Remembered(OnField(r.Field, ValueTests.Regex(regex), regex.RequiredLiteral is null ? 50 : 30), r, options);
            }
            default:
                throw new InvalidOperationException($"unhandled condition node {node.GetType().Name}");
        }
    }

    private static List<ConditionNode> Flatten<TNode>(IReadOnlyList<ConditionNode> terms, Func<TNode, IReadOnlyList<ConditionNode>> children)
        where TNode : ConditionNode
    {
        var list = new List<ConditionNode>();
        foreach (var t in terms)
        {
            if (t is TNode same) list.AddRange(Flatten(children(same), children));
            else list.Add(t);
        }
        return list;
    }

    private static Compiled Junction(List<ConditionNode> terms, ConditionOptions options, bool isAnd)
    {
        // Stable sort by cost: cheap tests short-circuit before regexes run.
        var parts = terms.Select(t => Build(t, options)).OrderBy(p => p.Cost).ToArray();
        var cost = parts.Sum(p => p.Cost);
        var fs = parts.Select(p => p.Test).ToArray();
        if (fs.Length == 1) return parts[0];
        if (fs.Length == 2)
        {
            var (a, b) = (fs[0], fs[1]);
            return new(isAnd ? e => a(e) && b(e) : e => a(e) || b(e), cost);
        }
        if (fs.Length == 3)
        {
            var (a, b, c) = (fs[0], fs[1], fs[2]);
            return new(isAnd ? e => a(e) && b(e) && c(e) : e => a(e) || b(e) || c(e), cost);
        }
        if (isAnd)
        {
            return new(e =>
            {
                foreach (var f in fs)
                    if (!f(e)) return false;
                return true;
            }, cost);
        }
        return new(e =>
        {
            foreach (var f in fs)
                if (f(e)) return true;
            return false;
        }, cost);
    }

    /// <summary>
    /// Counts each field test of a condition in <paramref name="memo"/>, before the rule set's conditions are compiled
    /// with it: a test written in two places or more is then run once per event. A condition that does not parse is
    /// skipped (compiling it reports the error, with its place).
    /// </summary>
    public static void CountTests(ConfigNode node, ConditionMemo memo)
    {
        ConditionNode root;
        try { root = SigmaMatcher.Parse(node); }
        catch (Exception) { return; } // whatever it is, the compile that follows reports it where it belongs
        CountTests(root, memo);
    }

    /// <summary>Counts each field test of an expression in <paramref name="memo"/> (see the node overload).</summary>
    public static void CountTests(string expression, ConditionMemo memo) => CountTests(ConditionParser.Parse(expression), memo);

    private static void CountTests(ConditionNode node, ConditionMemo memo)
    {
        switch (node)
        {
            case AndNode a: foreach (var t in a.Terms) CountTests(t, memo); break;
            case OrNode o: foreach (var t in o.Terms) CountTests(t, memo); break;
            case AtLeastNode m: foreach (var t in m.Terms) CountTests(t, memo); break;
            case NotNode n: CountTests(n.Term, memo); break;
            default:
                if (TestKey(node) is { } key) memo.CountUse(key);
                break;
        }
    }

    // What a field test tests, exactly: two tests with the same text give the same result for every event.
    private static string? TestKey(ConditionNode node) => node switch
    {
        ExistsNode x => $"exists\u0001{x.Field}",
        CompareNode c => $"compare\u0001{c.Field}\u0001{c.Op}\u0001{c.Cased}\u0001{Key(c.Value)}",
        InListNode l => $"in\u0001{l.Field}\u0001{l.Cased}\u0001{string.Join("\u0001", l.Values.Select(Key))}",
        CidrNode c => $"cidr\u0001{c.Field}\u0001{string.Join("\u0001", c.Networks)}",
        TextNode t => $"text\u0001{t.Field}\u0001{t.Op}\u0001{t.Cased}\u0001{t.Text}",
        RegexNode r => $"regex\u0001{r.Field}\u0001{(int)r.Options}\u0001{r.Cased}\u0001{r.Pattern}",
        _ => null,
    };

    private static string Key(Literal l) => $"{l.Kind}:{l.Text}";

    // A field test whose result the rule set's memo keeps for the event being matched (see ConditionMemo), when the
    // test is written more than once. The cost stays the test's own: the first rule to ask pays it.
    private static Compiled Remembered(Compiled test, ConditionNode node, ConditionOptions options)
    {
        if (options.Memo is not { } memo || TestKey(node) is not { } key || memo.Id(key) is not (>= 0 and var id)) return test;
        var f = test.Test;
        return new(e => memo.TryGet(e, id, out var known) ? known : memo.Remember(e, id, f(e)), test.Cost);
    }

    private static Compiled OnField(string name, Func<FieldValue, bool> test, int cost)
    {
        var field = FieldNames.Intern(name);
        var hint = -1; // where events have had the field (see Event.TryGet)
        return new(e => e.TryGet(field, ref hint, out var v) && (v.Kind is FieldKind.Array or FieldKind.Null ? ValueTests.Any(v, test) : test(v)), cost);
    }
}
