using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Parsers;

/// <summary>One step of a <see cref="ParserChain"/>.</summary>
/// <param name="Parser">The parser run.</param>
/// <param name="Field">The field it reads; null for <c>message</c> once a previous step set it, else the raw line.</param>
/// <param name="When">Runs the step only when this holds; null to always run it.</param>
/// <param name="Optional">Whether the chain still matches when this step does not.</param>
public sealed record ChainStep(IParser Parser, string? Field = null, Func<Event, bool>? When = null, bool Optional = false);

/// <summary>
/// <c>type: chain</c>: parsers applied one after another to the same event (<c>syslog</c>, then a regex on its
/// <c>message</c>). The chain matches when the first step matches and every later step matches, is skipped by its
/// <c>when:</c>, or is <c>optional</c>. Comment lines (<c>#</c> first) are dropped before anything runs unless
/// <c>drop_comments: false</c>.
/// </summary>
/// <example>
/// <code>
/// - name: app
///   type: chain
///   steps:
///     - parser: syslog
///     - parser: {type: regex, pattern: 'user=(?&lt;user.name&gt;\S+)'}
///       when: {process.name: app}
///       optional: true
/// </code>
/// </example>
public sealed class ParserChain : IParser
{
    private readonly ChainStep[] _steps;

    /// <summary>Builds a chain; it needs at least one step.</summary>
    public ParserChain(string name, IEnumerable<ChainStep> steps, bool dropComments = true)
    {
        Name = name;
        _steps = [.. steps];
        if (_steps.Length == 0) throw new ArgumentException("a chain needs at least one step", nameof(steps));
        DropComments = dropComments;
    }

    public string Name { get; }

    /// <summary>The steps in order.</summary>
    public IReadOnlyList<ChainStep> Steps => _steps;

    /// <summary>Whether lines whose first non-blank character is <c>#</c> are dropped.</summary>
    public bool DropComments { get; }

    /// <summary>Factory for <c>type: chain</c>.</summary>
    public static IParser Create(ConfigNode node, ComponentContext context)
    {
        var name = node.String("name") ?? "chain";
        var dropComments = node.Bool("drop_comments") ?? true;
        var stepsNode = node.Required("steps");
        if (!stepsNode.IsSequence) throw stepsNode.Error("'steps' must be a list of steps (- parser: NAME)");
        var steps = new List<ChainStep>();
        foreach (var s in stepsNode.Items)
        {
            var parserNode = s.IsScalar ? s : s.Required("parser");
            IParser parser;
            if (parserNode.IsScalar) parser = context.ResolveParser(parserNode.AsString(), parserNode);
            else
            {
                var type = parserNode.Required("type").AsString();
                parser = context.Registry.CreateParser(type, parserNode, context);
                parserNode.EnsureNoUnknownKeys($"inline parser of chain '{name}'");
            }
            if (s.IsScalar) { steps.Add(new ChainStep(parser)); continue; }
            var field = s.String("field");
            Func<Event, bool>? when = null;
            if (s.Get("when") is { IsNull: false } whenNode)
            {
                var compiler = context.ConditionCompiler ?? throw whenNode.Error("conditions are unavailable here: 'when:' needs the rule condition compiler");
                when = compiler(whenNode);
            }
            var optional = s.Bool("optional") ?? false;
            s.EnsureNoUnknownKeys($"step of chain '{name}'");
            steps.Add(new ChainStep(parser, field, when, optional));
        }
        if (steps.Count == 0) throw stepsNode.Error("a chain needs at least one step");
        return new ParserChain(name, steps, dropComments);
    }

    public ParseOutcome Parse(string line, Event e, ParseContext context)
    {
        if (DropComments && IsComment(line)) return ParseOutcome.Dropped("comment");
        for (var i = 0; i < _steps.Length; i++)
        {
            var step = _steps[i];
            if (step.When is { } when && !when(e))
            {
                if (i == 0) return ParseOutcome.Unmatched("first step's condition does not hold");
                continue;
            }
            string? input;
            if (step.Field is not null) input = e.GetString(step.Field);
            else input = i == 0 ? line : e.GetString(Ecs.Message) ?? line;
            ParseOutcome outcome;
            if (input is null) outcome = ParseOutcome.Unmatched($"no field {step.Field}");
            else outcome = step.Parser.Parse(input, e, context);
            if (outcome.Status == ParseStatus.Matched) continue;
            if (outcome.Status == ParseStatus.Dropped || i == 0 || !step.Optional) return outcome;
        }
        return ParseOutcome.Matched;
    }

    private static bool IsComment(string line)
    {
        var t = line.AsSpan().TrimStart();
        return t.Length > 0 && t[0] == '#';
    }
}
