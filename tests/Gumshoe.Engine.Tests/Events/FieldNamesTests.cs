using System.Reflection;
using Gumshoe.Engine.Events;

namespace Gumshoe.Engine.Tests.Events;

public sealed class FieldNamesTests
{
    [Fact]
    public void Every_ECS_constant_is_seeded()
    {
        var constants = typeof(Ecs).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
        Assert.Equal(constants.Order(), Ecs.Names.Order());
    }

    [Fact]
    public void A_name_read_from_a_config_is_the_instance_the_code_uses()
    {
        // built at run time, as YAML gives it: the native build has no runtime interning of literals to find it by
        var fromConfig = new string("event.action".AsSpan());
        Assert.Same(Ecs.EventAction, FieldNames.Intern(fromConfig));
        var custom = FieldNames.Intern(new string("gumshoe.test.custom".AsSpan()));
        Assert.Same(custom, FieldNames.Intern(new string("gumshoe.test.custom".AsSpan())));
    }
}
