"""Sign-in forms (Flask-WTF: every form carries a CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class CodeForm(FlaskForm):
    code = StringField("Six-digit code", validators=[
        DataRequired(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="Enter the six digits your app shows.")])
