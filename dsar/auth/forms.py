"""Sign-in forms (Flask-WTF: every form carries a CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class CodeForm(FlaskForm):
    code = StringField("Six-digit code", validators=[
        DataRequired(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="Enter the six digits your app shows.")])


class RecoveryForm(FlaskForm):
    code = StringField("Recovery code", validators=[
        DataRequired(), Length(max=40), Regexp(r"^\s*[A-Za-z0-9]{5}[\s-]?[A-Za-z0-9]{5}\s*$",
                                               message="A recovery code is ten letters and digits, like abcde-23456.")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=320)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password (at least 12 characters, hard to guess)",
                             validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("The same password again", validators=[
        DataRequired(), EqualTo("password", message="The two passwords are not the same.")])


class NewAccountForm(NewPasswordForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])


class ConfirmForm(FlaskForm):
    """A button only: the CSRF token is what it carries."""


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=500)])
