using System.Net;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Tests.Rules.Conditions;

/// <summary>Events and located YAML nodes for condition tests.</summary>
internal static class ConditionFixtures
{
    public const string YamlFile = "/etc/gumshoe/rules/test.yaml";

    /// <summary>An sshd-like failed login event with a mix of field types.</summary>
    public static Event SshFailure()
    {
        var e = new Event { Timestamp = DateTimeOffset.Parse("2024-05-01T12:00:00Z"), Original = "May  1 12:00:00 host sshd[812]: Failed password for invalid user admin from 203.0.113.7 port 4711 ssh2" };
        e.Set(Ecs.Message, "Failed password for invalid user admin from 203.0.113.7 port 4711 ssh2");
        e.Set(Ecs.EventOutcome, "failure");
        e.Set(Ecs.EventAction, "ssh_invalid_user");
        e.Set(Ecs.UserName, "Admin");
        e.Set(Ecs.SourceIp, FieldValue.Ip(IPAddress.Parse("203.0.113.7")));
        e.Set(Ecs.SourcePort, FieldValue.Long(4711));
        e.Set(Ecs.ProcessPid, FieldValue.Long(812));
        e.Set("http.response.status_code", "404");
        e.Set("url.path", "/wp-login.php");
        e.Set("tags", FieldValue.Array([FieldValue.String("ssh"), FieldValue.String("Brute")]));
        e.Set("score", FieldValue.Double(7.5));
        e.Set("flagged", FieldValue.Bool(true));
        return e;
    }

    public static Event With(params (string Name, FieldValue Value)[] fields)
    {
        var e = new Event();
        foreach (var (name, value) in fields) e.Set(name, value);
        return e;
    }

    /// <summary>The root node of a YAML document, located as if read from <see cref="YamlFile"/>.</summary>
    public static ConfigNode Yaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return new ConfigNode(stream.Documents[0].RootNode, YamlFile, "/etc/gumshoe/rules", _ => null);
    }
}
